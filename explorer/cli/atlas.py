"""``python -m explorer atlas``: the atlas of a 2D scenario (every scenario flag of ``run`` applies)."""
from __future__ import annotations

import json

from explorer.cli import run as run_command
from explorer.cli.common import checked_out, checked_runner, emit, runner_flags, stage_bar
from explorer.config.cost import STUDY_BUDGET

NAME = "atlas"


def add_parser(sub, run):
    atlas = sub.add_parser("atlas", help="the atlas of a 2D scenario: every training point's leave-one-out influence, "
                                         "the method's influence, α(x) and the local Lipschitz estimate")
    for action in run._actions:  # every scenario flag of `run` applies (the forget-set flags are not used)
        if action.dest not in ("help", "out", "threads") and not action.dest.startswith("forget_"):
            atlas._add_action(action)
    atlas.set_defaults(**{a.dest: None for a in run._actions if a.dest.startswith("forget_")})
    runner_flags(atlas)
    atlas.add_argument("--workers", type=int, help="processes or Ray tasks at once (default: the usable cores)")
    atlas.add_argument("--out", help="write the atlas JSON here (default: stdout)")

    return atlas


def command(args) -> int:
    from explorer.pipeline import load_data
    from explorer.studies.atlas import check, compute_atlas, summary as atlas_summary
    from explorer.studies.budget import atlas_cost, checked

    args.threads = None
    scenario = run_command.scenario_from_args(args)
    method = args.method or scenario.method
    check(scenario, method)
    data = load_data(scenario)
    checked(atlas_cost(scenario, data, method, len(data.x_train)), STUDY_BUDGET,
            f"this atlas of {len(data.x_train):,} points")
    out = checked_out(args.out) if args.out else None
    checked_runner(args)
    atlas = compute_atlas(scenario, progress=stage_bar(), method=method, backend=args.backend,
                          workers=args.workers, address=args.address)
    return emit(json.dumps(atlas.to_dict(), indent=1), out, args.out, lambda: atlas_summary(atlas))
