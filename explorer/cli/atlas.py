"""``python -m explorer atlas``: the atlas of a 2D scenario (every scenario flag of ``run`` applies)."""
from __future__ import annotations

from explorer.cli.common import runner_flags

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
    atlas.add_argument("--loo-seeds", type=int, default=1,
                       help="leave-one-out averaged over this many training seeds (1 = one seed's, 1-8); the noise "
                            "floor (two seeds' maps compared) is computed either way")

    return atlas
