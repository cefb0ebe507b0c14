"""Selection events -> sample ids, the forget set with undo, and the forget presets."""
import numpy as np
import pytest

from explorer.config import selection as S
from toy_data import default_spec, load_dataset


def event(points, box=(), lasso=()):
    return {"selection": {"points": points, "point_indices": [p.get("point_index", 0) for p in points],
                          "box": list(box), "lasso": list(lasso)}}


def test_ids_come_from_customdata_not_point_index_with_several_traces():
    # Three classes drawn as three traces would give per-trace point indices 0, 0, 1: useless.
    pts = [{"curve_number": 0, "point_index": 0, "customdata": 12},
           {"curve_number": 1, "point_index": 0, "customdata": 40},
           {"curve_number": 2, "point_index": 1, "customdata": 77}]
    assert S.ids_from_event(event(pts)) == ([12, 40, 77], "points")


@pytest.mark.parametrize("custom", [5, [5], (5,), {"0": 5}, 5.0, "5"])
def test_every_customdata_shape_maps_to_the_id(custom):
    assert S.ids_from_event(event([{"customdata": custom}])) == ([5], "points")


def test_points_without_ids_are_ignored_and_range_is_checked():
    pts = [{"point_index": 3}, {"customdata": None}, {"customdata": 2}, {"customdata": 999}, {"customdata": 2.5}]
    assert S.ids_from_event(event(pts), n=100) == ([2], "points")


def test_box_and_lasso_kinds_and_empty_events():
    pts = [{"customdata": 1}, {"customdata": 3}]
    assert S.ids_from_event(event(pts, box=[{"x": [0, 1], "y": [0, 1]}]))[1] == "box"
    assert S.ids_from_event(event(pts, lasso=[{"x": [0, 1, 1], "y": [0, 0, 1]}]))[1] == "lasso"
    assert S.ids_from_event(None) == ([], "none")
    assert S.ids_from_event({}) == ([], "none")
    assert S.ids_from_event(event([])) == ([], "none")
    assert S.ids_from_event(event([], box=[{"x": [0, 1]}])) == ([], "none")


def test_attribute_style_event_also_works():
    class Sel:
        points = [{"customdata": 9}]
        box, lasso = [], []

    class Ev:
        selection = Sel()

    assert S.ids_from_event(Ev()) == ([9], "points")


def test_clicks_toggle_and_drags_add():
    assert S.apply_event([1, 2], [2, 5], "points") == [1, 5]
    assert S.apply_event([1, 2], [2, 5], "box") == [1, 2, 5]
    assert S.apply_event([1, 2], [7], "lasso") == [1, 2, 7]
    assert S.apply_event([1, 2], [7], "none") == [1, 2]
    assert S.remove([1, 2, 3], [2]) == [1, 3]


def test_forget_state_undo_and_clear():
    s = S.ForgetState()
    s = s.apply([4], "points").apply([9], "points").apply([4], "points")  # click 4 again removes it
    assert s.ids == (9,)
    s = s.apply([1, 2, 3], "box")
    assert s.ids == (1, 2, 3, 9) and len(s) == 4
    s = s.clear()
    assert s.ids == ()
    s = s.undo()
    assert s.ids == (1, 2, 3, 9)
    s = s.undo().undo().undo()
    assert s.ids == (4,)
    s = s.undo().undo().undo()  # undo past the start is a no-op
    assert s.ids == () and not s.can_undo
    assert s.set([]) is s  # no change, no history entry


def test_clip_to_range_keeps_valid_ids():
    assert S.clip_to_range([0, 5, 10, 99], 10) == ([0, 5], [10, 99])


@pytest.fixture(scope="module")
def blobs():
    return load_dataset(default_spec("blobs", classes=4, samples=200))


def test_presets_pick_sensible_points(blobs):
    d = blobs
    b = S.boundary_point(d)[0]
    deep = S.deep_point(d)[0]
    dist = S._other_class_distance(d.x_train, d.y_train)
    assert dist[b] == dist.min() and dist[deep] == dist.max()
    probs = np.full((len(d.x_train), 4), 0.0)
    probs[:, 0] = 1.0
    probs[17] = [0.4, 0.35, 0.15, 0.1]
    assert S.boundary_point(d, probs) == [17]
    assert S.whole_class(d, 2) == np.flatnonzero(d.y_train == 2).tolist()
    with pytest.raises(ValueError):
        S.whole_class(d, 4)
    r = S.random_percent(d, 10, seed=1)
    assert len(r) == round(0.1 * len(d.x_train)) and r == S.random_percent(d, 10, seed=1)
    with pytest.raises(ValueError):
        S.random_percent(d, 0)
    k = S.highest_information(d, 5)
    assert len(k) == 5 and len(set(k)) == 5


def test_highest_information_follows_alpha(blobs):
    alpha = np.ones(len(blobs.x_train))
    alpha[[3, 30, 60]] = [0.2, 0.1, 0.5]
    assert S.highest_information(blobs, 3, alpha) == [3, 30, 60]
    assert S.highest_information(blobs, 1, alpha) == [30]


def test_two_blobs_high_information_target_has_low_alpha():
    d = load_dataset(default_spec("two_blobs"))
    from explorer.measures.functions import default_radius, information_score
    alpha = information_score(d.x_train, d.y_train, default_radius(d.x_train))
    hi, lo = d.named_points["high_information_target"], d.named_points["low_information_target"]
    assert alpha[hi] < alpha[lo]
