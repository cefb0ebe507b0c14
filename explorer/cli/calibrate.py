"""``python -m explorer calibrate``: the calibration study behind JiT's 2D defaults."""
from __future__ import annotations

import json
import sys
from dataclasses import replace

from explorer.cli.common import (UsageError, checked_out, checked_runner, floats, ints, join, names, progress_bar,
                                 runner_flags, write_out)
from explorer.config.cost import STUDY_BUDGET
from explorer.config.errors import ScenarioError

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


def command(args) -> int:
    from explorer.studies.budget import checked, study_cost
    from explorer.studies.calibration import StudyGrid, markdown, run_study

    grid = StudyGrid()
    given = {name: join(getattr(grid, axis)) if getattr(args, name) is None else getattr(args, name)
             for name, axis in GRID_AXES.items()}
    given["seeds"] = str(len(grid.seeds)) if args.seeds is None else args.seeds
    seeds = ints(given["seeds"], "--seeds")
    if len(seeds) == 1 and "," not in given["seeds"]:
        if not 1 <= seeds[0] <= 100:
            raise UsageError(f"--seeds N must be between 1 and 100, got {seeds[0]}")
        seeds = tuple(range(seeds[0]))
    grid = StudyGrid(sigmas=floats(given["sigmas"], "--sigmas"), etas=floats(given["etas"], "--etas"),
                     passes=ints(given["passes"], "--passes"),
                     max_step_changes=floats(given["step_guards"], "--step-guards"),
                     weight_decays=floats(given["weight_decays"], "--weight-decays"),
                     datasets=names(given["datasets"], "--datasets"), seeds=seeds, kinds=names(given["kinds"], "--kinds"))
    if args.at_defaults:
        from explorer.config.jit import JiTConfig

        d = JiTConfig()
        grid = replace(grid, sigmas=(d.sigma,), etas=(d.eta,), passes=(d.passes,), max_step_changes=(d.max_step_change,))
    try:
        grid.validate()  # each value of each axis: never their product
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    checked(study_cost(grid), STUDY_BUDGET, f"this study of {grid.n_runs:,} runs")
    out = checked_out(args.out)
    checked_runner(args)
    print(f"calibration: {grid.n_runs} JiT runs", file=sys.stderr)
    result = run_study(grid, backend=args.backend, workers=args.workers, progress=progress_bar("jobs"),
                       address=args.address)
    print(markdown(result.cells))  # first: a failed write must not lose the study's tables
    write_out(out, json.dumps(result.to_dict(), indent=1))
    print(f"\n{len(result.rows)} runs in {result.seconds:.0f} s on {result.workers} worker(s); "
          f"every run in {args.out}", file=sys.stderr)
    return 0
