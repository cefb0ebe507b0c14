"""``python -m explorer audit``: the per-example privacy audit of a scenario (every scenario flag of ``run``
applies): LiRA, U-LiRA and RMIA scores of every point under the original, the unlearned and the retrained
model, from ``--references`` reference models; JSON in ``--out``, a few sentences on stdout."""
from __future__ import annotations

import json

from explorer.cli import flags, run as run_command
from explorer.config.audit import AuditConfig
from explorer.cli.common import checked_out, checked_runner, emit, runner_flags, stage_bar

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


def command(args) -> int:
    from explorer.engine.device import torch_threads
    from explorer.studies.audit import default_references, run_audit
    from toy_data import image_dataset_names

    scenario = run_command.scenario_from_args(args)
    image = scenario.dataset.name in image_dataset_names()
    config = AuditConfig(**{"references": default_references(image), **flags.given(args, flags.AUDIT_FLAGS)})
    out = checked_out(args.out) if args.out else None
    checked_runner(args)
    with torch_threads(1):  # one thread per process, as the runner's jobs: small models only contend
        audit = run_audit(scenario, config, progress=stage_bar(), backend=args.backend, workers=args.workers,
                          address=args.address)
    return emit(json.dumps(audit.to_dict()), out, args.out, lambda: "\n".join(audit.sentences()))
