"""``python -m explorer calibrate`` once its command line has parsed: the study grid (its defaults are the
study's), its cost against the study budget, then the study."""
from __future__ import annotations

import json
import sys
from dataclasses import replace

from explorer.cli.calibrate import GRID_AXES
from explorer.cli.common import UsageError, checked_out, floats, ints, join, names, progress_bar, write_out
from explorer.commands.common import checked_runner
from explorer.config.cost import STUDY_BUDGET
from explorer.config.errors import ScenarioError
from explorer.studies.budget import checked, study_cost
from explorer.studies.calibration import StudyGrid, markdown, run_study
from explorer.config.jit import JiTConfig


def command(args) -> int:
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
