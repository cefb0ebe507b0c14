"""Hand edits of a training set: the order they apply in, what happens to ids, checks, and the scenario and link."""
import json
from dataclasses import replace

import numpy as np
import pytest

from explorer.config import datalink, urlstate
from explorer.config.limits import MAX_EDIT_LINK_CHARS, MAX_EDITS
from explorer.config.scenario import Scenario, ScenarioError
from explorer.scenarios import default_scenario
from explorer.config.selection import ForgetState
from toy_data import default_spec, load_dataset
from explorer.config.edits import DataEdits
from explorer.config import edits as ops


@pytest.fixture(scope="module")
def moons():
    return load_dataset(default_spec("moons", samples=100))


def test_flips_then_removals_then_additions_and_ids_are_rows(moons):
    n = len(moons.x_train)
    edits = DataEdits.build(added=[(9.0, 9.0, 1), (-9.0, -9.0, 0)], removed=[3, 0], flipped=[(5, 1 - moons.y_train[5])])
    data = load_dataset(replace(moons.spec, edits=edits))
    assert len(data.x_train) == n - 2 + 2 and edits.removed == (0, 3)  # canonical: sorted
    keep = [i for i in range(n) if i not in (0, 3)]
    np.testing.assert_array_equal(data.x_train[: n - 2], moons.x_train[keep])  # the rest close up, in order
    assert data.y_train[keep.index(5)] == 1 - moons.y_train[5]  # flipped by its unedited id
    np.testing.assert_array_equal(data.x_train[n - 2:], [[9, 9], [-9, -9]])  # added after, in the order added
    assert data.y_train[n - 2:].tolist() == [1, 0]
    np.testing.assert_array_equal(data.x_test, moons.x_test)  # the test set is never edited
    id_map = edits.id_map(n)
    assert id_map(0) is None and id_map(1) == 0 and id_map(4) == 2 and id_map(n - 1) == n - 3
    assert edits.origin(n - 2, n) == ("added", 0) and edits.origin(2, n) == ("base", 4)


def test_named_points_follow_the_renumbering():
    base = load_dataset(default_spec("two_blobs"))
    high = base.named_points["high_information_target"]
    data = load_dataset(replace(base.spec, edits=DataEdits.build(removed=[0, 1])))
    assert data.named_points["high_information_target"] == high - 2
    data = load_dataset(replace(base.spec, edits=DataEdits.build(removed=[high])))
    assert "high_information_target" not in data.named_points


def test_one_edit_at_a_time_returns_how_old_ids_map(moons):
    n, edits = len(moons.x_train), DataEdits()
    edits, same = ops.add(edits, (0.5, 0.5), 1)
    assert same(10) == 10 and len(edits.added) == 1
    edits, after = ops.remove(edits, 10, n)  # a generated point: ids after it close up
    assert edits.removed == (10,) and after(10) is None and after(11) == 10 and after(9) == 9
    added_id = n - 1  # the added point, now one id lower
    edits, after = ops.remove(edits, added_id, n)  # an added point leaves ``added``
    assert edits.added == () and after(added_id) is None
    y = moons.y_train
    edits, _ = ops.relabel(edits, 20, 1 - y[21], y)  # edited id 20 is unedited id 21 (10 was removed)
    assert edits.flipped == ((21, 1 - y[21]),)
    edits, _ = ops.relabel(edits, 20, y[21], y)  # back to its own label: no edit left
    assert edits.flipped == ()
    edits, _ = ops.remove(edits, 0, n)
    assert edits.removed == (0, 10)  # still unedited ids, whatever was removed before


def test_presets_outlier_and_flip_random(moons):
    edits, _ = ops.add_outlier(DataEdits(), moons, label=0, inside=1)
    (x1, x2, label), = edits.added
    assert label == 0
    d_other = np.sqrt(((moons.x_train[moons.y_train == 0] - [x1, x2]) ** 2).sum(1)).min()
    d_inside = np.sqrt(((moons.x_train[moons.y_train == 1] - [x1, x2]) ** 2).sum(1)).min()
    assert d_inside < 0.3 * d_other  # among class 1, far from class 0
    flipped, _ = ops.flip_random(DataEdits(), moons, 7, seed=3, base_y=moons.y_train)
    assert len(flipped.flipped) == 7 and all(c == 1 - moons.y_train[i] for i, c in flipped.flipped)
    assert flipped == ops.flip_random(DataEdits(), moons, 7, seed=3, base_y=moons.y_train)[0]  # seeded
    with pytest.raises(ValueError, match="must differ"):
        ops.add_outlier(DataEdits(), moons, 1, 1)


@pytest.mark.parametrize("edits, message", [
    (DataEdits(added=((1.0, 2.0, 5),)), "label 5 is not a class"),
    (DataEdits(added=((1.0, 2),)), "has 1 coordinate"),
    (DataEdits(added=((float("nan"), 2.0, 0),)), "finite coordinates"),
    (DataEdits(added=((1e9, 2.0, 0),)), "within ±1,000,000"),
    (DataEdits(removed=(75,)), "not a point of the unedited training set"),
    (DataEdits(flipped=((2, 9),)), "label 9 is not a class"),
    (DataEdits(removed=tuple(range(75))), "fewer than 2 training points"),
    (DataEdits(added=((0.0, 0.0, 0),) * (MAX_EDITS + 1)), "at most 2,000"),
])
def test_edits_the_data_cannot_take_are_one_line(moons, edits, message):
    with pytest.raises(ValueError, match=message):
        edits.apply(moons)
    with pytest.raises(ScenarioError, match=message):
        from explorer import pipeline
        pipeline.load_data(replace(default_scenario("moons", samples=100), dataset=replace(moons.spec, edits=edits)))


def test_fit_keeps_what_a_smaller_training_set_can_take():
    edits = DataEdits.build(added=[(0.0, 0.0, 1), (0.0, 0.0, 4)], removed=[5, 200], flipped=[(7, 1), (250, 0)])
    kept, dropped = edits.fit(100, 2, 2)
    assert dropped == 3 and kept == DataEdits.build(added=[(0.0, 0.0, 1)], removed=[5], flipped=[(7, 1)])


def test_the_scenario_file_and_the_link_carry_the_edits():
    edits = DataEdits.build(added=[(0.1234, -1.5, 1), (2.0, 0.25, 0)], removed=[3, 4, 5, 9], flipped=[(7, 0)])
    scenario = replace(default_scenario("moons"), dataset=replace(default_spec("moons"), edits=edits))
    raw = json.loads(json.dumps(scenario.to_dict()))
    assert raw["dataset"]["edits"] == {"added": [[0.1234, -1.5, 1], [2.0, 0.25, 0]], "removed": [3, 4, 5, 9],
                                       "flipped": [[7, 0]]}
    assert Scenario.from_dict(raw) == scenario
    assert "edits" not in default_scenario("moons").to_dict()["dataset"]  # unedited data reads as it always did
    params = urlstate.to_params(scenario, [300, 2])
    assert params["ea"] == "0.1234:-1.5:1,2:0.25:0" and params["er"] == "3-5,9" and params["ef"] == "7:0"
    back, ids, notices = urlstate.from_params(params)
    assert back == scenario and ids == [2, 300] and not notices  # id 300: an added point, kept


@pytest.mark.parametrize("params, why", [
    ({"ea": "1:2"}, None), ({"ea": "1:2:x"}, "not a whole number"), ({"ef": "3"}, "not id:label"),
    ({"er": "0-999999999"}, "at most 2,000 edits"), ({"ea": "1:2:1," * 3000}, "at most 8,000 in a link"),
])
def test_a_bad_edit_link_is_dropped_with_a_notice(params, why):
    scenario, _, notices = urlstate.from_params({"ds": "moons", **params})
    if why is None:  # a 1-D point on 2D data: read, then refused by the data (the page drops it with a notice)
        assert scenario.dataset.edits.added == ((1.0, 2),) and not notices
        return
    assert not scenario.dataset.edits and len(notices) == 1 and why in notices[0], notices


def test_edits_too_long_for_a_link_leave_the_link_without_edits_or_forget_ids():
    many = DataEdits.build(added=[(1.23456, -2.34567, 1)] * 700)
    assert len(many) <= MAX_EDITS and datalink.link_chars(many) > MAX_EDIT_LINK_CHARS
    scenario = replace(default_scenario("moons"), dataset=replace(default_spec("moons"), edits=many))
    params = urlstate.to_params(scenario, [1, 2])
    assert not {"ea", "er", "ef", "f"} & set(params) and not datalink.fits_link(many)


def test_undo_covers_edits_and_the_forget_set_together():
    state = ForgetState((1, 5))
    edited = state.edit(DataEdits.build(removed=[0]), (0, 4))
    assert edited.ids == (0, 4) and edited.edits.removed == (0,)
    more = edited.set((0, 4, 9))
    assert more.edits == edited.edits
    assert more.undo() == edited and more.undo().undo().ids == (1, 5) and more.undo().undo().edits is None
