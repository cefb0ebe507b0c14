"""``python -m explorer sweep`` once its command line has parsed: the scenario, the method's two settings and
their values (each checked against the setting's declared range), the sweep's cost against the study budget, then
the cells through the study primitive; JSON on stdout or in ``--out`` with a short table."""
from __future__ import annotations

import json

from explorer import pipeline
from explorer.cli.common import checked_out, emit, progress_bar
from explorer.cli.sweep import axis
from explorer.commands.common import checked_runner
from explorer.commands.run import scenario_from_args
from explorer.config.cost import STUDY_BUDGET
from explorer.config.errors import ScenarioError
from explorer.studies.budget import checked, sweep_cost
from explorer.unlearning.base import refusal
from explorer.studies.sweep import default_axes, default_values, sweep, sweep_grid

SHOWN = ("forget_acc", "retain_acc", "test_acc", "avg_gap")  # the table on stdout; the JSON has every metric


def command(args) -> int:
    scenario = scenario_from_args(args)
    method = scenario.method
    try:
        defaults = default_axes(method)
        given = [axis(args.x, "--x"), axis(args.y, "--y")]
        (x_name, xs), (y_name, ys) = [g or (d, None) for g, d in zip(given, defaults)]
        x = (x_name, xs if xs is not None else default_values(scenario, method, x_name))
        y = (y_name, ys if ys is not None else default_values(scenario, method, y_name, beside=x))
        configs = sweep_grid(scenario, method, x, y)
    except ValueError as err:
        raise ScenarioError(str(err).splitlines()[0]) from None
    pipeline.validate(scenario)
    data = pipeline.load_data(scenario)
    ids = scenario.forget.resolve(data, scenario.seed)
    why = refusal(method, data, ids)  # before the original trains: a refusal comes before any work
    if why:
        raise ScenarioError(why)
    checked(sweep_cost(scenario, data, len(ids), len(configs), method=method, configs=configs.values()),
            STUDY_BUDGET, f"this sweep of {len(configs):,} cells")
    out = checked_out(args.out) if args.out else None
    checked_runner(args)
    trained = pipeline.train_original(scenario)
    result = sweep(scenario, trained, ids, method, x, y, progress=progress_bar("cells"), workers=args.workers,
                   backend=args.backend, address=args.address)
    report = {**result.to_dict(), "scenario": scenario.to_dict()}
    return emit(json.dumps(report, indent=1), out, args.out, lambda: table(result))


def table(result) -> str:
    """One line per cell: the two settings' values and the headline metrics."""
    lines = [f"{result.label} over {result.x} × {result.y}: {len(result.xs) * len(result.ys)} cells in {result.seconds:.1f} s",
             f"{result.x:>12}{result.y:>12}" + "".join(f"{m:>12}" for m in SHOWN)]
    for i, yv in enumerate(result.ys):
        for j, xv in enumerate(result.xs):
            lines.append(f"{xv:>12g}{yv:>12g}" + "".join(f"{result.metrics[m][i, j]:>12.3f}" for m in SHOWN))
    return "\n".join(lines)
