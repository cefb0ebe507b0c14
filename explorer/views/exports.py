"""What a page lets the user download: the scenario as a file the CLI runs, and a run's metrics as CSV."""
from __future__ import annotations

import json
from dataclasses import replace

from explorer.config.scenario import ForgetSpec, Scenario


def scenario_export(scenario: Scenario, forget_ids) -> dict:
    """``Scenario.to_dict()`` with the forget set as explicit ids, plus resolved ``forget_ids``:
    what ``python -m explorer run --scenario FILE.json`` loads."""
    ids = sorted(set(int(i) for i in forget_ids))
    out = replace(scenario, forget=ForgetSpec(ids=tuple(ids))).to_dict()
    out["forget_ids"] = ids
    return out


def scenario_json(scenario: Scenario, forget_ids) -> str:
    return json.dumps(scenario_export(scenario, forget_ids), indent=2)
