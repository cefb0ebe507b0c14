"""``python -m explorer atlas`` once its command line has parsed: the scenario, the atlas's cost against the study
budget, then the atlas."""
from __future__ import annotations

import json

from explorer.cli.common import checked_out, emit, stage_bar
from explorer.commands.common import checked_runner
from explorer.commands.run import scenario_from_args
from explorer.config.cost import STUDY_BUDGET
from explorer.pipeline import load_data
from explorer.studies.atlas import check, compute_atlas, summary as atlas_summary
from explorer.studies.budget import atlas_cost, checked


def command(args) -> int:
    scenario = scenario_from_args(args)
    method = scenario.method
    check(scenario, method, args.loo_seeds)
    data = load_data(scenario)
    checked(atlas_cost(scenario, data, method, len(data.x_train), args.loo_seeds), STUDY_BUDGET,
            f"this atlas of {len(data.x_train):,} points" + (f" over {args.loo_seeds} training seeds"
                                                              if args.loo_seeds > 1 else ""))
    out = checked_out(args.out) if args.out else None
    checked_runner(args)
    atlas = compute_atlas(scenario, progress=stage_bar(), method=method, backend=args.backend,
                          workers=args.workers, address=args.address, loo_seeds=args.loo_seeds)
    return emit(json.dumps(atlas.to_dict(), indent=1), out, args.out, lambda: atlas_summary(atlas))
