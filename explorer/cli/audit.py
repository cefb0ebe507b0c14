"""``python -m explorer audit``: the per-example privacy audit of a scenario (every scenario flag of ``run``
applies): LiRA, U-LiRA and RMIA scores of every point under the original, the unlearned and the retrained
model, from ``--references`` reference models; JSON in ``--out``, a few sentences on stdout."""
from __future__ import annotations

import json

from explorer.cli import run as run_command
from explorer.cli.common import checked_out, checked_runner, emit, runner_flags, stage_bar

NAME = "audit"


def add_parser(sub, run):
    audit = sub.add_parser("audit", help="per-example membership attacks (LiRA, U-LiRA, RMIA) on the original, "
                                         "unlearned and retrained models, from reference models")
    for action in run._actions:  # every scenario flag of `run` applies
        if action.dest not in ("help", "out", "threads"):
            audit._add_action(action)
    audit.add_argument("--references", type=int,
                       help="reference models, an even number (default 64 on the toys, 8 on images); each trains "
                            "on a random half of the training and test points")
    audit.add_argument("--variance", choices=["per_point", "global"], default="per_point",
                       help="LiRA's Gaussian fits: one variance per point (default) or one for all points")
    runner_flags(audit)
    audit.add_argument("--workers", type=int, help="processes or Ray tasks at once (default: the usable cores)")
    audit.add_argument("--out", help="write the audit JSON here (default: stdout)")
    return audit


def command(args) -> int:
    from explorer.engine.device import torch_threads
    from explorer.studies.audit import AuditConfig, default_references, run_audit
    from toy_data import image_dataset_names

    scenario = run_command.scenario_from_args(args)
    image = scenario.dataset.name in image_dataset_names()
    config = AuditConfig(references=default_references(image) if args.references is None else args.references,
                         variance=args.variance)
    config.validate()
    out = checked_out(args.out) if args.out else None
    checked_runner(args)
    with torch_threads(1):  # one thread per process, as the runner's jobs: small models only contend
        audit = run_audit(scenario, config, progress=stage_bar(), backend=args.backend, workers=args.workers,
                          address=args.address)
    return emit(json.dumps(audit.to_dict()), out, args.out, lambda: "\n".join(audit.sentences()))
