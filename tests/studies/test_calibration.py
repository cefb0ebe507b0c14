"""The calibration study: per-run measures on hand-made trajectories, cell summaries, the rule that
picks the defaults, one real job, and the command line."""
import json
import math

import numpy as np
import pytest

from explorer.studies import calibration as C
from explorer.cli import main
from explorer.measures.verdict import MOVED_AT

ORIGINAL = {"agreement_with_retrain": 0.97}
RETRAIN = {"test_acc": 0.97, "forget_acc": 0.0}


def final(**kv):
    return {"test_acc": 0.96, "forget_acc": 0.0, "agreement_with_retrain": 0.98, **kv}


def test_a_jump_carries_the_whole_movement_and_a_ramp_a_small_share():
    assert C.max_step_share([0, 0.152] + [0.152] * 29) == pytest.approx(1.0)
    ramp = np.linspace(0, 0.03, 31)
    assert C.max_step_share(ramp) == pytest.approx(1 / 30)
    # the share is of the largest change, wherever the trajectory ends
    assert C.max_step_share([0, 0.01, 0.04, 0.02]) == pytest.approx(0.03 / 0.04)
    assert math.isnan(C.max_step_share([0, 0, 0]))


def test_measure_run_on_hand_made_trajectories():
    jump = C.measure_run([0, 0.152, 0.152], final(test_acc=0.70, agreement_with_retrain=0.86), ORIGINAL, RETRAIN)
    assert jump.collapsed and jump.forget_matched and jump.moved and not jump.gradual
    assert jump.agreement_gain == pytest.approx(-0.11)
    ramp = C.measure_run(np.linspace(0, 0.02, 31), final(forget_acc=1.0), ORIGINAL, RETRAIN)
    assert not ramp.collapsed and not ramp.forget_matched and ramp.gradual
    assert ramp.agreement_gain == pytest.approx(0.01)
    still = C.measure_run([0, MOVED_AT / 2, MOVED_AT / 2], final(), ORIGINAL, RETRAIN)
    assert not still.moved and math.isnan(still.max_step_share) and not still.gradual


def _row(setting, kind, collapsed, matched, gain, share):
    moved = not math.isnan(share)
    return {**dict(zip(C.SETTING_FIELDS, setting)), "kind": kind, "collapsed": collapsed, "forget_matched": matched,
            "agreement_gain": gain, "moved": moved, "max_step_share": share}


JUMPY = (0.1, 0.02, 30, 0.0, 0.0)
GUARDED = (0.2, 0.02, 30, 0.05, 0.0)
TIMID = (0.2, 0.0001, 30, 0.0, 0.0)


def hand_made_rows():
    rows = []
    for kind in ("boundary", "interior"):
        rows += [_row(JUMPY, kind, True, True, -0.1, 1.0), _row(JUMPY, kind, False, True, -0.02, 0.9)]
        rows += [_row(GUARDED, kind, False, True, 0.001, 0.1), _row(GUARDED, kind, False, False, -0.003, 0.3)]
        rows += [_row(TIMID, kind, False, kind == "interior", 0.0, math.nan), _row(TIMID, kind, False, False, 0.0, 0.2)]
    return rows


def test_summaries_per_kind_and_over_all_kinds():
    cells = {(tuple(c.setting.values()), c.kind): c for c in C.summarise(hand_made_rows())}
    jumpy = cells[(JUMPY, "all")]
    assert (jumpy.runs, jumpy.collapse_rate, jumpy.forget_match_rate) == (4, 0.5, 1.0)
    assert (jumpy.moved_runs, jumpy.gradual_rate, jumpy.max_step_share) == (4, 0.0, pytest.approx(0.95))
    assert jumpy.closer_rate == 0.0
    guarded = cells[(GUARDED, "boundary")]
    assert (guarded.runs, guarded.forget_match_rate, guarded.gradual_rate) == (2, 0.5, 1.0)
    assert guarded.agreement_gain == pytest.approx(-0.001)
    timid = cells[(TIMID, "all")]
    assert (timid.moved_runs, timid.gradual_rate) == (2, 1.0)


def test_recommend_needs_gradual_movement_then_prefers_forgetting_without_collapse():
    cells = C.summarise(hand_made_rows())
    best = C.recommend(cells)
    # JUMPY forgets best but jumps; GUARDED and TIMID both move gradually: GUARDED matches more often.
    assert tuple(best.setting.values()) == GUARDED
    assert C.recommend([c for c in cells if tuple(c.setting.values()) == JUMPY]) is None


def test_closer_than_original_is_judged_against_run_to_run_noise_by_the_verdict_s_rule():
    """A share of runs ending closer counts noise as movement; the cell's judgement is the verdict's paired
    t-interval over the runs' gains."""
    noisy = [_row(GUARDED, "boundary", False, True, gain, 0.1) for gain in (0.004, -0.003, 0.002, -0.001, 0.003)]
    steady = [_row(JUMPY, "boundary", False, True, gain, 0.1) for gain in (0.010, 0.012, 0.009, 0.011, 0.013)]
    cells = {(tuple(c.setting.values()), c.kind): c for c in C.summarise(noisy + steady)}
    assert cells[(GUARDED, "boundary")].closer_rate == pytest.approx(0.6)  # three of five "closer" ...
    assert cells[(GUARDED, "boundary")].closer_judged == "within_noise"  # ... but within noise
    assert cells[(JUMPY, "boundary")].closer_judged == "toward"
    low, high = cells[(JUMPY, "boundary")].gain_ci95
    assert 0 < low < 0.011 < high
    assert "within noise (" in C.markdown(list(cells.values()))


def test_markdown_marks_the_recommended_setting_and_breaks_it_down_by_kind():
    table = C.markdown(C.summarise(hand_made_rows()))
    default_rows = [line for line in table.splitlines() if "(recommended)" in line]
    assert len(default_rows) == 1 and default_rows[0].startswith("| 0.2 | 0.02 | 30 | 0.05 |")
    assert "| boundary | 2 |" in table and "| interior | 2 |" in table


def test_forget_kinds_pick_what_their_names_say():
    from explorer.config.selection import deep_point
    from toy_data import default_spec, load_dataset
    data = load_dataset(default_spec("moons"))
    probs = np.tile([0.5, 0.5], (len(data.x_train), 1))
    assert len(C.forget_ids("neighbours", data, probs, seed=0)) == C.NEIGHBOURS
    assert C.forget_ids("interior", data, probs, 0) == deep_point(data, probs)
    assert set(data.y_train[C.forget_ids("class", data, probs, 0)]) == {0}
    assert len(C.forget_ids("random_5pct", data, probs, 0)) == round(0.05 * len(data.x_train))
    assert C.forget_ids("neighbours", data, probs, 0) != C.forget_ids("neighbours", data, probs, 1)
    with pytest.raises(ValueError, match="unknown forget kind"):
        C.forget_ids("everything", data, probs, 0)


def test_one_real_job_measures_every_setting_against_one_retrain():
    settings = [dict(sigma=0.2, eta=0.02, passes=5, max_step_change=g) for g in (0.0, 0.05)]
    rows = C.study_job("circles", 1, 0.0, ("boundary", "interior"), settings)
    assert len(rows) == 4
    for row in rows:
        assert {"collapsed", "forget_matched", "agreement_gain", "moved", "max_step_share", "retrain_flips",
                "flips"} <= set(row)
        assert 0 <= row["retrain_flips"] <= 1 and 0 <= row["flips"] <= 1
        assert 0 <= row["test_acc"] <= 1 and row["forget_size"] == 1
    boundary = [r for r in rows if r["kind"] == "boundary"]
    assert boundary[0]["retrain_test_acc"] == boundary[1]["retrain_test_acc"]  # one retrain per kind


def test_the_command_writes_json_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "cal.json"
    code = main(["calibrate", "--datasets", "circles", "--seeds", "1", "--kinds", "boundary", "--sigmas", "0.2",
                 "--etas", "0.02", "--passes", "5", "--step-guards", "0,0.05", "--backend", "serial",
                 "--out", str(out)])
    assert code == 0
    report = json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert len(report["runs"]) == 2 and report["thresholds"]["damage_margin"] == 0.05
    assert {c["kind"] for c in report["cells"]} == {"boundary", "all"}
    assert "| σ | η |" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--kinds", "everything"], "unknown forget kind"),
    (["--datasets", "digits"], "2D toys"),
    (["--sigmas", "0"], "sigma"),
    (["--step-guards", "-1"], "--step-guards: jit.max_step_change"),
    (["--step-guards", "1e9"], "--step-guards: jit.max_step_change"),
    (["--seeds", "0"], "--seeds"),
    (["--seeds", "0,4294967296"], "--seeds: seed must be between"),
    (["--etas", ""], "etas"),
    (["--out", "/no/such/folder/cal.json"], "no such folder"),
    (["--out", "/proc/cal.json"], "cannot write"),
    (["--weight-decays", "5"], "--weight-decays"),
    (["--datasets", "line"], "2D toys"),
])
def test_bad_study_input_exits_2_with_one_line(args, message, capsys, tmp_path):
    # a tiny grid first (the bad flag, given last, overrides its part), so a check that lets bad input
    # through costs seconds, not the full study
    tiny = ["--datasets", "circles", "--seeds", "1", "--kinds", "boundary", "--sigmas", "0.2", "--etas", "0.02",
            "--passes", "2", "--step-guards", "0", "--backend", "serial", "--out", str(tmp_path / "c.json")]
    assert main(["calibrate", *tiny, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_jit_at_its_defaults_moves_the_boundary_of_moons_gradually(moons_trained):
    """The headline demo: the boundary point of default moons, JiT at its defaults. The boundary travels
    (no recorded step carries more than half of the largest change) and the model keeps its accuracy."""
    from dataclasses import replace

    from explorer import pipeline
    from explorer.engine.device import torch_threads
    from explorer.engine.models import predict_proba
    from explorer.config.scenario import ForgetSpec
    from explorer.config.selection import boundary_point

    scenario, trained = moons_trained
    ids = boundary_point(trained.data, predict_proba(trained.model, trained.data.x_train))
    with torch_threads(1):
        outcome = pipeline.run(replace(scenario, forget=ForgetSpec(ids=tuple(ids))), trained=trained)
    report = outcome.report()["models"]
    trajectory = outcome.results["jit"].trajectory
    measures = C.measure_run(trajectory.metric("boundary_change"), report["jit"]["metrics"],
                             report["original"]["metrics"], report["retrain"]["metrics"])
    assert measures.moved and measures.gradual, trajectory.metric("boundary_change")
    assert not measures.collapsed
    # a movement over many frames, not one jump: at least five recorded steps change the boundary
    assert (np.abs(np.diff(trajectory.metric("boundary_change"))) > 0).sum() >= 5


def test_the_study_json_is_strict_json_when_runs_never_move():
    rows = [_row(TIMID, "interior", False, True, 0.0, math.nan)]
    result = C.StudyResult(C.StudyGrid(), rows, C.summarise(rows))
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert json.loads(text)["cells"][0]["gradual_rate"] is None


def _told(setting, matched, retrain_flips, flips, share=0.2):
    return {**_row(setting, "boundary", False, matched, 0.0, share), "retrain_flips": retrain_flips, "flips": flips}


CAUTIOUS = (0.2, 0.002, 30, 0.05, 0.0)
BOLD = (0.2, 0.02, 30, 0.05, 0.0)


def test_informative_runs_are_counted_apart_and_the_rule_is_reported_on_both():
    """CAUTIOUS matches retraining three times by changing nothing where retraining changes nothing, and misses
    the one run where retraining flips the point; BOLD misses two idle runs but matches both informative ones."""
    rows = [_told(CAUTIOUS, True, 0.0, 0.0), _told(CAUTIOUS, True, 0.0, 0.0), _told(CAUTIOUS, True, 0.0, 0.0),
            _told(CAUTIOUS, False, 1.0, 0.0),
            _told(BOLD, False, 0.0, 1.0), _told(BOLD, False, 0.0, 1.0), _told(BOLD, True, 1.0, 1.0),
            _told(BOLD, True, 1.0, 1.0)]
    cells = {tuple(c.setting.values()): c for c in C.summarise(rows) if c.kind == "all"}
    cautious, bold = cells[CAUTIOUS], cells[BOLD]
    assert (cautious.forget_match_rate, cautious.informative_runs, cautious.informative_forget_match_rate,
            cautious.idle_matches) == (0.75, 1, 0.0, 3)
    assert (bold.forget_match_rate, bold.informative_runs, bold.informative_forget_match_rate,
            bold.idle_matches) == (0.5, 2, 1.0, 0)
    all_cells = C.summarise(rows)
    assert tuple(C.recommend(all_cells).setting.values()) == CAUTIOUS
    assert tuple(C.recommend(all_cells, informative_only=True).setting.values()) == BOLD
    table = C.markdown(all_cells)
    assert "**(recommended)**" in table and "**(recommended on informative runs)**" in table
    assert "the rule over the informative runs picks (σ 0.2, η 0.02" in table
