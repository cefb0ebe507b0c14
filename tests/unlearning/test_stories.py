"""The paper's stories, on the explorer's default scenarios and default presets.

1. Figure 2 of the paper: on two_blobs, forgetting the high-information target, JiT's boundary
   agrees with the retrained one more than greedy mislabelling's and gradient ascent's do.
2. Table 4 of the paper: forgetting a random 5 % of moons, JiT's forget accuracy stays close to
   retrain's (the retrained model still gets most of them right) instead of collapsing; the
   comparison table shows random_labels next to it, whatever it does.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from explorer import pipeline
from explorer.measures.comparison import comparison_rows
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario

FIGURE_2_METHODS = ("jit", "greedy", "neggrad")
CLOSE = 0.15  # "close to retrain": within 2 of the 15 forgotten moons points (1 point = 0.067)


def _report(dataset: str, forget: ForgetSpec, methods: tuple[str, ...], single_thread) -> dict:
    scenario = replace(default_scenario(dataset), forget=forget, method=methods[0], compare=methods[1:],
                       record_every=100_000)  # first and last frame only: the story is about the end point
    with single_thread(1):
        return pipeline.run(scenario).report()["models"]


@pytest.fixture(scope="module")
def figure_2(single_thread):
    return _report("two_blobs", ForgetSpec(named="high_information_target"), FIGURE_2_METHODS, single_thread)


@pytest.fixture(scope="module")
def table_4(single_thread):
    return _report("moons", ForgetSpec(random_fraction=0.05), ("jit", "random_labels"), single_thread)


def _agreement(models, name):
    return models[name]["metrics"]["agreement_with_retrain"]


# Measured at JiT's calibrated defaults (σ 0.2, η 0.002, step guard 0.05), agreement with retrain on seed 0:
# jit 0.926, neggrad 0.922, greedy 0.867, original 0.927 — JiT beats both rivals here but still ends a hair
# below the untouched original. On seeds 1 and 2 it does not beat neggrad (0.893 vs 0.940, 0.851 vs 0.856),
# though neggrad there does not even forget the point. The README reports all three seeds.
@pytest.mark.parametrize("rival", ["greedy", "neggrad"])
def test_figure_2_jit_agrees_with_retrain_more_than_naive_forgetting(figure_2, rival):
    jit, other = _agreement(figure_2, "jit"), _agreement(figure_2, rival)
    assert jit > other, (f"agreement_with_retrain: jit {jit:.3f} vs {rival} {other:.3f} "
                         f"(original {_agreement(figure_2, 'original'):.3f})")


def test_figure_2_greedy_wrecks_more_of_the_boundary_than_retraining_moves(figure_2):
    change = {name: figure_2[name]["metrics"]["boundary_change"] for name in ("retrain", "greedy")}
    assert change["greedy"] > change["retrain"], change


def test_table_4_jit_forget_accuracy_stays_close_to_retrain(table_4):
    jit, retrain = table_4["jit"]["metrics"]["forget_acc"], table_4["retrain"]["metrics"]["forget_acc"]
    assert abs(jit - retrain) <= CLOSE, f"forget_acc: jit {jit:.3f} vs retrain {retrain:.3f}"


def test_table_4_the_table_shows_random_labels_with_its_gap(table_4):
    rows = {row["method"]: row for row in comparison_rows(table_4)}
    row = rows["random_labels"]
    assert row["forget_acc"] is not None and row["gap_forget_acc"] is not None and row["avg_gap"] is not None
    assert row["zero_shot"] is False and rows["jit"]["zero_shot"] is True
