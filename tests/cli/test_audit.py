"""``python -m explorer audit``: the JSON's scores recomputed independently from the reference models' outputs it
contains (LiRA and U-LiRA within 1e-6, TPR at 1 % FPR from the reported scores), and bad input in one line."""
from __future__ import annotations

import json
import math
import statistics

import pytest

from explorer.cli import main

AUDIT = "audit --dataset moons --forget-ids 24,101 --references 8 --backend serial".split()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "audit.json"
    assert main([*AUDIT, "--out", str(out)]) == 0
    return json.loads(out.read_text())


def _normal_logpdf(x: float, mu: float, sd: float) -> float:
    return -0.5 * ((x - mu) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def _lira_by_hand(report: dict, model: str, j: int, outputs: str = "phi") -> float:
    """The online LiRA score of population point ``j``, from the JSON alone and the standard library."""
    refs = report["references"]
    ins = [refs[outputs][k][j] for k in range(refs["count"]) if refs["in"][k][j]]
    outs = [refs[outputs][k][j] for k in range(refs["count"]) if not refs["in"][k][j]]
    sd_in, sd_out = max(statistics.pstdev(ins), 1e-6), max(statistics.pstdev(outs), 1e-6)
    phi = report["points"][j]["phi"][model]
    return _normal_logpdf(phi, statistics.fmean(ins), sd_in) - _normal_logpdf(phi, statistics.fmean(outs), sd_out)


def _tpr_at(report: dict, model: str, attack: str, fpr: float) -> float:
    """TPR at ``fpr`` of retain (members) against test points (non-members), from the reported scores."""
    points = report["points"]
    pos = [p["scores"][model][attack] for p in points if p["split"] == "retain"]
    neg = [p["scores"][model][attack] for p in points if p["split"] == "test"]
    best = 0.0
    for t in sorted(set(pos + neg)):  # call "member" every score >= t
        if sum(s >= t for s in neg) <= fpr * len(neg):
            best = max(best, sum(s >= t for s in pos) / len(pos))
    return best


def test_the_report_holds_what_the_scores_came_from(report):
    refs = report["references"]
    n = report["population"]["train"] + report["population"]["test"]
    assert refs["count"] == 8 and len(refs["in"]) == 8 and len(refs["phi"][0]) == n == len(report["points"])
    assert all(sum(refs["in"][k][j] for k in range(8)) == 4 for j in range(n))
    assert refs["halves_seed"] == [0, 2]
    assert [p["split"] for p in report["points"] if p["split"] == "forget"] == ["forget", "forget"]
    assert {p["id"] for p in report["points"] if p["split"] == "forget"} == {24, 101}
    assert set(report["models"]) == {"original", "retrain", "jit"}
    assert set(report["attacks"]) == {"lira", "lira_offline", "rmia", "ulira"}
    assert report["audit"] == {"references": 8, "variance": "per_point"}
    summary = report["models"]["jit"]["attacks"]["ulira"]
    assert summary["members"]["n_negatives"] == 100 and summary["forget"]["n_positives"] == 2
    assert summary["members"]["resolution"]["0.001"].startswith("not resolvable")
    assert report["comparison"]["lira"]["retain_more_exposed"]["jit"]["score_rose"] >= 0
    assert report["summary"] and report["seconds"]["references"] > 0


@pytest.mark.parametrize("j", [0, 24, 101, 250, 333])  # retain, both forget points, retain, test
def test_an_independent_recomputation_of_lira_agrees(report, j):
    for model in ("original", "retrain", "jit"):
        assert report["points"][j]["scores"][model]["lira"] == pytest.approx(_lira_by_hand(report, model, j),
                                                                             abs=1e-6, rel=1e-9)
        assert report["points"][j]["scores"][model]["ulira"] == pytest.approx(
            _lira_by_hand(report, model, j, "phi_unlearned"), abs=1e-6, rel=1e-9)
        decision = report["points"][j]["member"][model]["lira"]
        assert decision == (report["points"][j]["scores"][model]["lira"] > report["attacks"]["lira"]["threshold"])


def test_tpr_at_one_percent_fpr_follows_from_the_reported_scores(report):
    for model in report["models"]:
        for attack in report["attacks"]:
            reported = report["models"][model]["attacks"][attack]["members"]["tpr_at_fpr"]["0.01"]
            assert reported == pytest.approx(_tpr_at(report, model, attack, 0.01)), (model, attack)


@pytest.mark.parametrize("args, message", [
    (["--references", "7"], "even"),
    (["--references", "1000"], "audit.references"),
    (["--references", "256", "--samples", "20000"], "work budget"),
    (["--variance", "median"], "audit.variance must be one of per_point, global, got 'median'"),
    (["--forget-ids", "5000"], "out of range"),
    (["--backend", "ray", "--address", "127.0.0.1:1"], "cannot reach"),
])
def test_bad_input_is_one_line_before_any_work(args, message, capsys, tmp_path):
    code = main(["audit", "--dataset", "moons", "--forget-ids", "24", *args, "--out", str(tmp_path / "a.json")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.json").exists()
