"""``python -m explorer audit`` once its command line has parsed: the scenario, the reference models and the
attacks."""
from __future__ import annotations

import json

from explorer.cli import flags
from explorer.cli.common import checked_out, emit, stage_bar
from explorer.commands.common import checked_runner
from explorer.commands.run import scenario_from_args
from explorer.config.audit import AuditConfig
from explorer.engine.device import torch_threads
from explorer.studies.audit import default_references, run_audit
from toy_data import image_dataset_names


def command(args) -> int:
    scenario = scenario_from_args(args)
    image = scenario.dataset.name in image_dataset_names()
    config = AuditConfig(**{"references": default_references(image), **flags.given(args, flags.AUDIT_FLAGS)})
    out = checked_out(args.out) if args.out else None
    checked_runner(args)
    with torch_threads(1):  # one thread per process, as the runner's jobs: small models only contend
        audit = run_audit(scenario, config, progress=stage_bar(), backend=args.backend, workers=args.workers,
                          address=args.address)
    return emit(json.dumps(audit.to_dict()), out, args.out, lambda: "\n".join(audit.sentences()))
