"""Inputs that used to give a wrong answer without a word: a far forget point forgot id 0, a 1-D link's valid
id was dropped, a negative-zero noise failed inside NumPy. Each is now the right answer or one line."""
import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.config.scenario import ForgetSpec, Scenario, ScenarioError
from explorer.config.urlstate import from_params
from toy_data import load_dataset, max_train_size
from explorer.config.dataset import DatasetSpec


@pytest.mark.parametrize("point", ["1e20,0", "1e308,1e308", "-3e7,2", "0,1e9"])
def test_a_far_forget_point_is_refused_in_one_line(point, capsys):
    code = main(["run", "--forget-point", point, "--out", "/dev/null"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "within ±1e+06" in err, err


@pytest.mark.parametrize("point", [[1e20], [-1e300], [2e6]])
def test_a_far_point_on_the_line_and_in_a_scenario_file_is_refused(point, tmp_path, capsys):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"dataset": {"name": "line"}, "forget": {"point": point}}))
    code = main(["run", "--scenario", str(path), "--out", "/dev/null"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "within ±1e+06" in err, err


def test_the_nearest_point_is_found_in_float64():
    data = load_dataset(DatasetSpec(name="moons", samples=100))
    far = (1e5, 0.0)  # inside the declared range; its squared distance (1e10) is fine in float64
    expected = int(np.argmax(data.x_train[:, 0]))  # the rightmost point is the nearest to a point far right
    assert data.nearest_train_id(far) == expected
    assert ForgetSpec(point=far).resolve(data) == [expected]
    with pytest.raises(ValueError, match="too far"):
        data.nearest_train_id((1e200, 1e200))  # inf in float64 too: refused, never id 0


def test_a_1d_link_keeps_the_named_points_ids_on_a_small_line():
    spec = DatasetSpec(name="line", samples=20, noise=1.0)
    data = load_dataset(spec)
    x4 = data.named_points["x=4"]
    assert x4 == len(data.x_train) - 1 and x4 >= spec.samples  # past `samples`: the named points come last
    assert max_train_size(spec) >= len(data.x_train)
    scenario, ids, notices = from_params({"ds": "line", "d.samples": "20", "f": str(x4)})
    assert ids == [x4] and not notices, notices
    assert ForgetSpec(ids=tuple(ids)).resolve(load_dataset(scenario.dataset)) == [x4]


@pytest.mark.parametrize("text", ["-0", "-0.0", "-0e5"])
def test_negative_zero_noise_from_a_link_is_zero(text):
    scenario, _, notices = from_params({"ds": "line_gap", "d.noise": text})
    assert scenario.dataset.noise == 0 and not np.signbit(scenario.dataset.noise) and not notices
    load_dataset(scenario.dataset)  # no "scale < 0" from NumPy


def test_negative_zero_noise_from_the_cli_and_a_file_trains(tmp_path, capsys):
    out = tmp_path / "r.json"
    args = ["run", "--dataset", "line_gap", "--samples", "40", "--epochs", "20", "--passes", "2", "--forget-ids", "1",
            "--threads", "1", "--out", str(out)]
    assert main([*args, "--noise=-0.0"]) == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["scenario"]["dataset"]["noise"] == 0
    scenario = Scenario.from_dict({"dataset": {"name": "line_gap", "noise": -0.0}})
    assert not np.signbit(scenario.dataset.noise)
    assert not np.signbit(load_dataset(DatasetSpec(name="line_gap", noise=-0.0)).spec.noise)


def test_huge_whole_numbers_in_a_file_are_refused_in_one_short_line():
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict({"forget": {"point": [10**400, 0]}})
    assert "401-digit" in str(err.value) and len(str(err.value)) < 200
