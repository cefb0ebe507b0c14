"""``python -m explorer audit``: the per-example privacy audit of a scenario (every scenario flag of ``run``
applies): LiRA, U-LiRA and RMIA scores of every point under the original, the unlearned and the retrained
model, from ``--references`` reference models; JSON in ``--out``, a few sentences on stdout."""
from __future__ import annotations

from explorer.cli import flags
from explorer.cli.common import runner_flags

NAME = "audit"


def add_parser(sub, run):
    audit = sub.add_parser("audit", help="per-example membership attacks (LiRA, U-LiRA, RMIA) on the original, "
                                         "unlearned and retrained models, from reference models")
    for action in run._actions:  # every scenario flag of `run` applies
        if action.dest not in ("help", "out", "threads"):
            audit._add_action(action)
    flags.add(audit, flags.AUDIT_FLAGS)  # --references, --variance: checked as they are parsed
    runner_flags(audit)
    audit.add_argument("--workers", type=int, help="processes or Ray tasks at once (default: the usable cores)")
    audit.add_argument("--out", help="write the audit JSON here (default: stdout)")
    return audit
