"""``python -m explorer atlas``: the atlas of a 2D scenario (every scenario flag of ``run`` applies)."""
from __future__ import annotations

import json

from explorer.cli.common import checked_out, stage_bar
from explorer.cli.run import scenario_from_args
from explorer.config.scenario import ScenarioError
from explorer.studies.atlas import check, compute_atlas, summary
from explorer.studies.runner import check_backend


def command(args) -> int:
    scenario = scenario_from_args(args)
    method = args.method or scenario.method
    check(scenario, method)
    out = checked_out(args.out) if args.out else None
    check_backend(args.backend, args.workers, args.address)
    atlas = compute_atlas(scenario, progress=stage_bar(), method=method, backend=args.backend,
                          workers=args.workers, address=args.address)
    text = json.dumps(atlas.to_dict(), indent=1)
    if out is None:
        print(text)
        return 0
    try:
        out.write_text(text)
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    print(summary(atlas))
    return 0
