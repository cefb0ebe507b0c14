"""What the pages let a user download: a scenario file the CLI runs with exactly the chosen forget set."""
import json

from explorer.config.scenario import Scenario
from explorer.scenarios import default_scenario
from explorer.views.exports import scenario_export, scenario_json


def test_the_scenario_file_names_the_forget_ids_and_rebuilds_the_scenario():
    base = default_scenario("moons")
    out = scenario_export(base, [9, 3, 9])
    assert out["forget_ids"] == [3, 9] and out["forget"]["ids"] == [3, 9]
    back = Scenario.from_dict(json.loads(scenario_json(base, [9, 3])))
    assert back.forget.ids == (3, 9) and back.dataset == base.dataset and back.presets == base.presets
