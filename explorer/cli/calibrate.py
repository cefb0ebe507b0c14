"""``python -m explorer calibrate``: the calibration study behind JiT's 2D defaults."""
from __future__ import annotations

import json
import sys
from dataclasses import replace

from explorer.cli.common import UsageError, checked_out, floats, ints, names, progress_bar
from explorer.config.jit import JiTConfig
from explorer.config.scenario import ScenarioError
from explorer.studies.calibration import StudyGrid, markdown, run_study
from explorer.studies.runner import check_backend


def _seeds(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """A count N (seeds 0..N-1) or a list A,B,..."""
    if text is None:
        return default
    seeds = ints(text, "--seeds")
    if len(seeds) == 1 and "," not in text:
        if not 1 <= seeds[0] <= 100:
            raise UsageError(f"--seeds N must be between 1 and 100, got {seeds[0]}")
        seeds = tuple(range(seeds[0]))
    return seeds


def command(args) -> int:
    grid = StudyGrid()
    given = lambda text, parse, what, default: default if text is None else parse(text, what)  # noqa: E731
    grid = StudyGrid(sigmas=given(args.sigmas, floats, "--sigmas", grid.sigmas),
                     etas=given(args.etas, floats, "--etas", grid.etas),
                     passes=given(args.passes, ints, "--passes", grid.passes),
                     max_step_changes=given(args.step_guards, floats, "--step-guards", grid.max_step_changes),
                     weight_decays=given(args.weight_decays, floats, "--weight-decays", grid.weight_decays),
                     datasets=given(args.datasets, names, "--datasets", grid.datasets), seeds=_seeds(args.seeds, grid.seeds),
                     kinds=given(args.kinds, names, "--kinds", grid.kinds))
    if args.at_defaults:
        d = JiTConfig()
        grid = replace(grid, sigmas=(d.sigma,), etas=(d.eta,), passes=(d.passes,), max_step_changes=(d.max_step_change,))
    try:
        grid.validate()
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    out = checked_out(args.out)
    check_backend(args.backend, args.workers, args.address)
    print(f"calibration: {grid.n_runs} JiT runs", file=sys.stderr)
    result = run_study(grid, backend=args.backend, workers=args.workers, progress=progress_bar("jobs"),
                       address=args.address)
    print(markdown(result.cells))  # first: a failed write must not lose the study's tables
    try:
        out.write_text(json.dumps(result.to_dict(), indent=1))
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    print(f"\n{len(result.rows)} runs in {result.seconds:.0f} s on {result.workers} worker(s); "
          f"every run in {args.out}", file=sys.stderr)
    return 0
