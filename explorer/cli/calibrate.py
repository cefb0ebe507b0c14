"""``python -m explorer calibrate``: the calibration study behind JiT's 2D defaults."""
from __future__ import annotations

from explorer.cli.common import runner_flags

NAME = "calibrate"
# flag dest -> the StudyGrid axis it sets
GRID_AXES = {"sigmas": "sigmas", "etas": "etas", "passes": "passes", "step_guards": "max_step_changes",
             "weight_decays": "weight_decays", "datasets": "datasets", "kinds": "kinds"}


def add_parser(sub):
    cal = sub.add_parser("calibrate", help="the calibration study behind JiT's 2D defaults: JiT over a grid of "
                                           "settings × datasets × seeds × forget kinds, measured against retraining")
    # The axes' defaults are the study grid's (explorer/studies/calibration.py, which loads scipy): filled in when
    # the command runs, so that parsing stays light.
    cal.add_argument("--sigmas", help="JiT σ values (comma-separated; default: the study grid's)")
    cal.add_argument("--etas", help="JiT η values")
    cal.add_argument("--passes", help="JiT passes values")
    cal.add_argument("--step-guards", help="JiT max step change values (0 = the guard off)")
    cal.add_argument("--weight-decays", help="weight decays of the original's training recipe")
    cal.add_argument("--datasets", help="2D toy datasets")
    cal.add_argument("--seeds", help="a count N (seeds 0..N-1) or a list A,B,... (default: the study grid's)")
    cal.add_argument("--kinds", help="forget kinds (an unknown kind lists them)")
    cal.add_argument("--at-defaults", action="store_true",
                     help="run JiT's current default setting only (σ, η, passes, step guard); other axes as given")
    runner_flags(cal)
    cal.add_argument("--workers", type=int, help="worker processes (default: the usable cores)")
    cal.add_argument("--out", default="calibration.json", help="the study's JSON (every run and every cell)")

    return cal
