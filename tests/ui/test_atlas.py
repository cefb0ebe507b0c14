"""AppTest flow of the atlas page: compute a small atlas (progress, no error), the map and both scatter
plots render with Spearman's ρ, a click on the map picks the point, and its link opens the 2D explorer
with that point as the forget set; the atlas is cached per scenario."""
import json


from explorer.config import urlstate
from explorer.ui.state import widget_key



def K(path: str) -> str:
    return widget_key("atlas", path)


def test_compute_a_small_atlas_click_a_point_and_link_to_the_explorer(start):
    at = start(fast=False, timeout=600)  # through the app's navigation, as a user gets there
    at.switch_page("pages/atlas.py").run()
    assert not at.exception and not at.error
    assert not at.get("plotly_chart")  # nothing until asked
    at.number_input(key=K("dataset.samples")).set_value(24).run()
    at.button(key=K("ui.compute")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3
    assert any("ρ" in (c["layout"]["title"]["text"]) for c in charts[1:])
    # every ρ beside its noise floor (two training seeds' maps), and which leave-one-out it is
    assert all("noise floor ρ" in c["layout"]["title"]["text"] for c in charts[1:])
    assert any("fixed seed" in c.value and "noise floor" in c.value for c in at.caption)
    ids = at.selectbox(key=K("ui.point")).options
    assert len(ids) == 18  # 24 samples, a quarter for the test set
    target = int(ids[5])
    at.session_state[K("ui.map")] = {"selection": {"points": [{"curve_number": 0, "point_index": 5, "point_number": 5,
                                                               "customdata": [target, 0, 1, 1, 0, 0, 1, 0],
                                                               "x": 0.0, "y": 0.0}],
                                                   "point_indices": [5], "box": [], "lasso": []}}
    at.run()
    assert at.selectbox(key=K("ui.point")).value in (target, str(target))
    link = at.get("page_link")[0].proto
    query = dict(part.split("=", 1) for part in link.query_string.split("&"))
    assert query["f"] == urlstate.encode_ids([target])
    assert link.page_script_hash  # a page of this app (the 2D explorer), not an outside URL
    # cached per scenario: a second click computes nothing new and shows the same atlas
    at.button(key=K("ui.compute")).click().run()
    assert len(at.get("plotly_chart")) == 3 and not at.exception
    # leave-one-out averaged over two training seeds: another atlas, named as such
    at.number_input(key=K("loo_seeds")).set_value(2).run()
    at.button(key=K("ui.compute")).click().run()
    assert not at.exception and not at.error
    assert any("averaged over training seeds 0-1" in c.value for c in at.caption)
