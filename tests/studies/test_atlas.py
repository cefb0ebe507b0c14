"""The atlas: Spearman values on hand-made columns, leave-one-out influence equal to the run path's
retrain reference, the method's numbers equal to single runs, JSON shape, bad input in one line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer import pipeline
from explorer.measures.verdict import judge_movement
from explorer.stages import seed_scenario
from explorer.studies.atlas import (FIELDS, PAIRS, Atlas, compute_atlas, noise_floor, spearman, spearman_table,
                                    summary)
from explorer.studies.budget import atlas_cost
from explorer.cli import main
from explorer.config.scenario import ScenarioError
from explorer.scenarios import default_scenario


def test_spearman_on_hand_made_columns():
    a = [1, 2, 3, 4, 5, 6]
    assert spearman(a, [10, 20, 30, 40, 50, 60])["rho"] == pytest.approx(1.0)
    assert spearman(a, [6, 5, 4, 3, 2, 1])["rho"] == pytest.approx(-1.0)
    assert spearman(a, [6, 5, 4, 3, 2, 1])["p"] < 0.01
    # ranks, not values: a monotone but curved relation is still 1
    assert spearman(a, np.exp(a))["rho"] == pytest.approx(1.0)
    # one swap among 5: rho = 1 - 6 * 2 / (5 * 24) = 0.9
    assert spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])["rho"] == pytest.approx(0.9)
    assert spearman(a, [3, 3, 3, 3, 3, 3]) == {"rho": None, "p": None, "n": 6}  # undefined, not NaN
    assert spearman([1, 2, np.nan, 4], [1, 2, 3, 4])["n"] == 3
    points = [{"alpha": 1 - k / 10, "lipschitz": k, "loo_boundary_change": k / 100, "method_boundary_change": -k}
              for k in range(5)]
    table = spearman_table(points)
    assert set(table) == set(PAIRS)
    assert table["alpha_vs_loo"]["rho"] == pytest.approx(-1.0)
    assert table["lipschitz_vs_loo"]["rho"] == pytest.approx(1.0)
    assert table["method_vs_loo"]["rho"] == pytest.approx(-1.0)


@pytest.fixture(scope="module")
def small_atlas():
    scenario = default_scenario("moons", samples=60)
    return scenario, compute_atlas(scenario, ids=[0, 5, 11, 30], backend="serial", chunk=3)


def test_leave_one_out_and_method_numbers_match_the_run_path(small_atlas):
    scenario, atlas = small_atlas
    assert [p["id"] for p in atlas.points] == [0, 5, 11, 30]
    for point in atlas.points[:2]:
        outcome = pipeline.run(scenario, forget_ids=[point["id"]])
        assert point["loo_boundary_change"] == pytest.approx(outcome.references["retrain"]["boundary_change"], abs=0.01)
        final = outcome.results["jit"].final_metrics
        assert point["method_boundary_change"] == pytest.approx(final["boundary_change"], abs=1e-6)
        assert point["method_test_drop"] == pytest.approx(outcome.references["original"]["test_acc"] - final["test_acc"],
                                                          abs=1e-6)
        assert 0 <= point["alpha"] <= 1 and point["lipschitz"] >= 0


def test_the_atlas_of_another_training_seed_is_that_seed_s_leave_one_out(small_atlas):
    """Leave-one-out over a given training seed: seed k's initial weights and batch order, the same data."""
    scenario, atlas = small_atlas
    other = compute_atlas(scenario, ids=[5], backend="serial", offset=2)
    outcome = pipeline.run(seed_scenario(scenario, 2), forget_ids=[5])
    point = other.points[0]
    assert point["loo_boundary_change"] == pytest.approx(outcome.references["retrain"]["boundary_change"], abs=1e-6)
    assert point["method_boundary_change"] == pytest.approx(outcome.main.final_metrics["boundary_change"], abs=1e-6)
    assert point["loo_boundary_change"] != atlas.points[1]["loo_boundary_change"]  # seed 0's, a different model


def test_closer_than_the_original_is_judged_over_the_points_by_the_verdict_s_rule(small_atlas):
    _, atlas = small_atlas
    differences = [p["method_agreement_with_loo"] - (1 - p["loo_boundary_change"]) for p in atlas.points]
    movement = judge_movement(differences)
    assert atlas.closer["judged"] == movement.judged and atlas.closer["seeds"] == len(atlas.points)
    assert atlas.closer["mean"] == pytest.approx(np.mean(differences))
    assert "leave-one-out model" in summary(atlas)


def test_the_json_has_the_documented_shape(small_atlas):
    _, atlas = small_atlas
    raw = json.loads(json.dumps(atlas.to_dict()))
    assert set(raw) >= {"scenario", "points", "spearman", "seconds"}
    assert all(list(p) == list(FIELDS) for p in raw["points"])
    assert set(raw["spearman"]) >= {"alpha_vs_loo", "lipschitz_vs_loo", "method_vs_loo"}
    assert Atlas.from_dict(raw).points == raw["points"]


def test_another_method_runs_point_by_point():
    scenario = default_scenario("moons", samples=60)
    atlas = compute_atlas(scenario, ids=[3], backend="serial", method="neggrad")
    assert atlas.method == "neggrad" and len(atlas.points) == 1


@pytest.mark.parametrize("dataset, method, message", [
    ("digits", "jit", "2D toys"), ("moons", "emmn", "whole classes"), ("moons", "nope", "unknown method"),
    ("moons", "retrain", "always retrains"),
])
def test_bad_input_is_refused_before_any_work(dataset, method, message):
    with pytest.raises(ScenarioError, match=message):
        compute_atlas(default_scenario(dataset), method=method)


def test_the_cli_writes_the_atlas(tmp_path, capsys):
    out = tmp_path / "atlas.json"
    # a tiny scenario keeps this quick; every scenario flag of `run` applies
    assert main(["atlas", "--dataset", "moons", "--samples", "24", "--backend", "serial", "--passes", "3",
                 "--out", str(out)]) == 0
    raw = json.loads(out.read_text())
    assert len(raw["points"]) == len(raw["points"]) > 0 and raw["scenario"]["dataset"]["samples"] == 24
    assert "Spearman alpha_vs_loo" in capsys.readouterr().out
    assert main(["atlas", "--dataset", "digits"]) == 2


def test_the_noise_floor_on_hand_made_maps():
    """ρ between two seeds' maps: equal ranks give +1, reversed −1; from four seeds, the halves' means."""
    a, b = [0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.4, 0.3, 0.2, 0.1]
    maps = {"loo_boundary_change": {0: a, 1: [2 * v for v in a]}, "method_boundary_change": {0: a, 1: b}}
    floor = noise_floor(maps, [0, 1], 1)
    assert floor["loo"]["rho"] == pytest.approx(1.0) and floor["method"]["rho"] == pytest.approx(-1.0)
    assert floor["seeds"] == [[0], [1]] and floor["single_seed"]["method"]["pairs"] == 1
    assert floor["loo"]["ceiling"] == pytest.approx(1.0) and floor["method"]["ceiling"] == 0.0  # √max(ρ, 0)
    # four seeds: seeds 0+1 against 2+3. Each single pair disagrees in places; the halves' means rank alike
    four = {0: [1, 2, 3, 4], 1: [2, 1, 4, 3], 2: [1, 3, 2, 4], 3: [2, 1, 3, 4]}
    maps = {"loo_boundary_change": four, "method_boundary_change": four}
    floor = noise_floor(maps, [0, 1, 2, 3], 4)
    assert floor["seeds"] == [[0, 1], [2, 3]] and floor["of"].startswith("mean of 2")
    assert floor["loo"]["rho"] == pytest.approx(spearman([1.5, 1.5, 3.5, 3.5], [1.5, 2, 2.5, 4])["rho"])
    singles = [spearman(four[i], four[j])["rho"] for i in range(4) for j in range(i + 1, 4)]
    assert floor["single_seed"]["loo"]["mean"] == pytest.approx(np.mean(singles))
    assert floor["single_seed"]["loo"]["min"] == pytest.approx(min(singles)) and floor["single_seed"]["loo"]["pairs"] == 6


def test_every_rho_stands_beside_the_floor_of_two_seeds_maps(small_atlas):
    """The floor is seed 0's leave-one-out map against seed 1's, each the run path's retrain reference."""
    scenario, atlas = small_atlas
    maps = atlas.seed_maps
    assert maps["offsets"] == [0, 1] and atlas.loo_seeds == 1
    assert maps["loo_boundary_change"][0] == [p["loo_boundary_change"] for p in atlas.points]
    other = pipeline.run(seed_scenario(scenario, 1), forget_ids=[5])
    assert maps["loo_boundary_change"][1][1] == pytest.approx(other.references["retrain"]["boundary_change"], abs=1e-6)
    for kind, column in (("loo", "loo_boundary_change"), ("method", "method_boundary_change")):
        floor = dict(atlas.noise_floor[kind])
        ceiling = floor.pop("ceiling")
        assert floor == spearman(*maps[column])
        assert ceiling == (None if floor["rho"] is None else pytest.approx(max(floor["rho"], 0) ** 0.5))
    for name, value in atlas.spearman.items():
        kind = "loo" if PAIRS[name][1] == "loo_boundary_change" else "method"
        assert value["noise_floor"] == atlas.noise_floor[kind]["rho"]
        assert value["noise_ceiling"] == atlas.noise_floor[kind]["ceiling"]
    text = summary(atlas)
    assert "noise floor" in text and "fixed seed" in text
    assert Atlas.from_dict(json.loads(json.dumps(atlas.to_dict()))).noise_floor == atlas.noise_floor


def test_the_floor_does_not_change_the_one_seed_numbers(small_atlas):
    scenario, atlas = small_atlas
    alone = compute_atlas(scenario, ids=[0, 5, 11, 30], backend="serial", floor=False)
    assert alone.points == atlas.points and alone.noise_floor is None and alone.seed_maps["offsets"] == [0]


def test_leave_one_out_averaged_over_seeds_is_the_mean_of_each_seed_s(small_atlas):
    scenario, atlas = small_atlas
    averaged = compute_atlas(scenario, ids=[0, 5, 11, 30], backend="serial", loo_seeds=2)
    maps = averaged.seed_maps
    assert maps["offsets"] == [0, 1] and averaged.loo_seeds == 2
    assert maps["loo_boundary_change"] == atlas.seed_maps["loo_boundary_change"]  # the same two seeds' models
    for j, p in enumerate(averaged.points):
        for column in ("loo_boundary_change", "method_boundary_change", "method_agreement_with_loo"):
            assert p[column] == pytest.approx((maps[column][0][j] + maps[column][1][j]) / 2)
        assert p["alpha"] == atlas.points[j]["alpha"]  # the data's, not a model's
    assert averaged.points[1]["loo_boundary_change"] != atlas.points[1]["loo_boundary_change"]
    assert "averaged over training seeds 0-1" in summary(averaged)


def test_leave_one_out_seeds_are_priced_and_limited(capsys):
    scenario = default_scenario("moons", samples=60)
    data = pipeline.load_data(scenario)
    one, four = (atlas_cost(scenario, data, "jit", 45, k).seconds for k in (1, 4))
    assert four == pytest.approx(2 * one)  # one seed's atlas plus the floor's second, against four
    for bad in ("0", "9"):
        assert main(["atlas", "--dataset", "moons", "--samples", "24", "--loo-seeds", bad]) == 2
    assert "leave-one-out seeds must be" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="from 1 to 8"):
        compute_atlas(scenario, loo_seeds=20)
