"""Gaps to retrain and the SalUn-style average gap, as pure functions over a report's "models"."""
from __future__ import annotations

import math

import pytest

import csv
import io

from explorer.measures.comparison import AVG_GAP_METRICS, avg_gap, comparison_rows, gaps, metrics_csv, rank_by_avg_gap
from explorer.measures.metrics import METRIC_NAMES, metric_names

RETRAIN = {"retain_acc": 1.0, "forget_acc": 0.8, "test_acc": 0.9, "mia_efficacy": 0.2, "forget_entropy": 0.3}
MODELS = {
    "original": {"metrics": {"retain_acc": 1.0, "forget_acc": 1.0, "test_acc": 0.9, "mia_efficacy": 0.6}, "seconds": 2.0},
    "retrain": {"metrics": RETRAIN, "seconds": 1.5},
    "jit": {"metrics": {"retain_acc": 0.9, "forget_acc": 0.7, "test_acc": 0.8, "mia_efficacy": 0.3, "forget_entropy": 0.5},
            "seconds": 0.1, "trajectory": []},
    "greedy": {"metrics": {"retain_acc": 0.5, "forget_acc": 0.0, "test_acc": 0.5, "mia_efficacy": None}, "seconds": 0.2,
               "stopped": "diverged at step 3"},
    "finetune": {"metrics": {"retain_acc": 1.0, "forget_acc": 0.8, "test_acc": 0.9, "mia_efficacy": 0.2}, "seconds": 0.3},
}


def test_gap_is_signed_method_minus_retrain():
    g = gaps(MODELS["jit"]["metrics"], RETRAIN)
    assert g["retain_acc"] == pytest.approx(-0.1) and g["forget_acc"] == pytest.approx(-0.1)
    assert g["forget_entropy"] == pytest.approx(0.2)


def test_avg_gap_is_the_mean_absolute_gap_over_the_four_salun_metrics():
    assert AVG_GAP_METRICS == ("retain_acc", "forget_acc", "test_acc", "mia_efficacy")
    assert avg_gap(MODELS["jit"]["metrics"], RETRAIN) == pytest.approx((0.1 + 0.1 + 0.1 + 0.1) / 4)
    assert avg_gap(RETRAIN, RETRAIN) == 0.0
    # opposite signs do not cancel
    assert avg_gap({"retain_acc": 1.1, "forget_acc": 0.7, "test_acc": 0.9, "mia_efficacy": 0.2}, RETRAIN) == pytest.approx(0.05)


def test_missing_or_nan_values_give_no_gap():
    assert avg_gap(MODELS["greedy"]["metrics"], RETRAIN) is None
    assert gaps({"mia_efficacy": float("nan"), "retain_acc": 0.5}, RETRAIN) == {"mia_efficacy": None, "retain_acc": -0.5}
    assert gaps({"js_to_retrain": 0.1}, RETRAIN) == {"js_to_retrain": None}


def test_rows_have_one_entry_per_model_in_order_with_zero_shot_and_seconds():
    rows = comparison_rows(MODELS)
    assert [r["method"] for r in rows] == list(MODELS)
    by = {r["method"]: r for r in rows}
    assert by["original"]["zero_shot"] is None and by["original"]["uses"] == "—"
    assert by["retrain"]["zero_shot"] is False and by["retrain"]["avg_gap"] == 0.0
    assert by["jit"]["zero_shot"] is True and by["greedy"]["zero_shot"] is True
    assert by["finetune"]["zero_shot"] is False and "retain" in by["finetune"]["uses"]
    assert by["jit"]["seconds"] == 0.1 and by["greedy"]["stopped"] == "diverged at step 3"
    assert by["jit"]["gap_forget_acc"] == pytest.approx(-0.1)
    assert by["original"]["avg_gap"] == pytest.approx((0 + 0.2 + 0 + 0.4) / 4)
    assert by["greedy"]["avg_gap"] is None and by["greedy"]["mia_efficacy"] is None
    # every metric present anywhere gets a value and a gap column, in the registry's order
    present = {"retain_acc", "forget_acc", "test_acc", "mia_efficacy", "forget_entropy"}
    assert [k for k in rows[0] if k in METRIC_NAMES] == [m for m in METRIC_NAMES if m in present]
    for row in rows:
        assert all(f"gap_{m}" in row for m in AVG_GAP_METRICS)


def test_without_a_retrain_entry_there_are_no_gaps():
    rows = comparison_rows({"jit": MODELS["jit"]})
    assert rows[0]["avg_gap"] is None and rows[0]["gap_retain_acc"] is None
    assert rows[0]["retain_acc"] == 0.9


def test_ranking_puts_the_closest_method_first_and_unknown_gaps_last():
    ranked = [r["method"] for r in rank_by_avg_gap(comparison_rows(MODELS))]
    assert ranked == ["finetune", "jit", "greedy"]


def test_an_unregistered_name_has_no_zero_shot_claim():
    rows = comparison_rows({"retrain": MODELS["retrain"], "mystery": {"metrics": RETRAIN, "seconds": None}})
    assert rows[1]["zero_shot"] is None and rows[1]["seconds"] is None
    assert not math.isnan(rows[1]["avg_gap"])


def test_rows_put_the_table_metrics_first_then_the_other_registered_then_unknown_names():
    models = {"retrain": {"metrics": {"js_to_retrain": 0.0, "paper_forget_acc": 0.5, "mia": 0.2, "zz_custom": 1.0,
                                      "retain_acc": 1.0}}}
    row = comparison_rows(models)[0]
    assert [k for k in row if not k.startswith("gap_") and k in {*models["retrain"]["metrics"]}] == [
        "retain_acc", "mia", "paper_forget_acc", "js_to_retrain", "zz_custom"]
    assert [k for k in comparison_rows(models, ["mia"])[0] if k in METRIC_NAMES] == ["mia"]


def test_the_csv_has_every_registered_metric_one_row_per_step_then_one_per_model():
    report_models = {**MODELS, "jit": {**MODELS["jit"], "trajectory": [
        {"step": 0, "epoch": 0, "loss": None, "metrics": MODELS["original"]["metrics"]},
        {"step": 10, "epoch": 2, "loss": 0.5, "metrics": {**MODELS["jit"]["metrics"], "mia": float("nan")}}]}}
    text = metrics_csv(report_models)  # a report's models carry their trajectories
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["model", "step", "epoch", "loss", *metric_names(), "label"]
    assert [r[:4] for r in rows[1:3]] == [["jit", "0", "0", ""], ["jit", "10", "2", "0.5"]]
    assert [r[0] for r in rows[3:]] == list(MODELS) and all(r[1:4] == ["", "", ""] for r in rows[3:])
    col = rows[0].index
    assert rows[2][col("mia")] == "" and rows[2][col("retain_acc")] == "0.9"  # NaN and missing: empty
    assert rows[2][col("js_to_retrain")] == "" and rows[-1][col("retain_acc")] == "1.0"
    # trajectories given apart (as a run keeps them) replace the models' own
    assert metrics_csv(report_models, {}).count("\n") == 1 + len(MODELS)
    assert metrics_csv(MODELS, {"jit": report_models["jit"]["trajectory"]}) == text
