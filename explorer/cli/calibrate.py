"""``python -m explorer calibrate``: the calibration study behind JiT's 2D defaults."""
from __future__ import annotations

import json
import sys
from dataclasses import replace

from explorer.cli.common import (UsageError, checked_out, checked_runner, floats, ints, join, names, progress_bar,
                                 runner_flags, write_out)
from explorer.config.cost import STUDY_BUDGET
from explorer.config.scenario import ScenarioError

NAME = "calibrate"


def add_parser(sub):
    cal = sub.add_parser("calibrate", help="the calibration study behind JiT's 2D defaults: JiT over a grid of "
                                           "settings × datasets × seeds × forget kinds, measured against retraining")
    from explorer.studies.calibration import FORGET_KINDS, StudyGrid
    grid = StudyGrid()
    cal.add_argument("--sigmas", default=join(grid.sigmas), help="JiT σ values (comma-separated)")
    cal.add_argument("--etas", default=join(grid.etas), help="JiT η values")
    cal.add_argument("--passes", default=join(grid.passes), help="JiT passes values")
    cal.add_argument("--step-guards", default=join(grid.max_step_changes),
                     help="JiT max step change values (0 = the guard off)")
    cal.add_argument("--weight-decays", default=join(grid.weight_decays),
                     help="weight decays of the original's training recipe")
    cal.add_argument("--datasets", default=join(grid.datasets), help="2D toy datasets")
    cal.add_argument("--seeds", default=str(len(grid.seeds)), help="a count N (seeds 0..N-1) or a list A,B,...")
    cal.add_argument("--kinds", default=join(grid.kinds), help=f"forget kinds, from: {', '.join(FORGET_KINDS)}")
    cal.add_argument("--at-defaults", action="store_true",
                     help="run JiT's current default setting only (σ, η, passes, step guard); other axes as given")
    runner_flags(cal)
    cal.add_argument("--workers", type=int, help="worker processes (default: the usable cores)")
    cal.add_argument("--out", default="calibration.json", help="the study's JSON (every run and every cell)")

    return cal


def command(args) -> int:
    from explorer.studies.budget import checked, study_cost
    from explorer.studies.calibration import StudyGrid, markdown, run_study

    seeds = ints(args.seeds, "--seeds")
    if len(seeds) == 1 and "," not in args.seeds:
        if not 1 <= seeds[0] <= 100:
            raise UsageError(f"--seeds N must be between 1 and 100, got {seeds[0]}")
        seeds = tuple(range(seeds[0]))
    grid = StudyGrid(sigmas=floats(args.sigmas, "--sigmas"), etas=floats(args.etas, "--etas"),
                     passes=ints(args.passes, "--passes"), max_step_changes=floats(args.step_guards, "--step-guards"),
                     weight_decays=floats(args.weight_decays, "--weight-decays"),
                     datasets=names(args.datasets, "--datasets"), seeds=seeds, kinds=names(args.kinds, "--kinds"))
    if args.at_defaults:
        from explorer.unlearning.jit import JiTConfig

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
