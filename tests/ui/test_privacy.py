"""AppTest flows of the privacy view: after Unlearn, Run privacy audit draws the exposure map with its threshold
slider and the ROC on log-log axes (2D page), the forgotten images ranked by exposure (images page); a bad
number of reference models is one line and the run stays."""
import base64
import json

import numpy as np
import pytest

from explorer.ui.state import widget_key

pytestmark = pytest.mark.timeout(600)


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(values) -> list:
    """A figure's array, plain or as Plotly's typed array ({"dtype", "bdata"})."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def audit(at, page: str, references: int):
    at.number_input(key=widget_key(page, "ui.privacy.references")).set_value(references).run()
    at.button(key=widget_key(page, "ui.privacy.run")).click().run()


def test_the_2d_page_draws_the_exposure_map_and_the_roc(start):
    at = start(f="5,24")
    at.button(key=widget_key("2d", "ui.unlearn")).click().run()
    no_errors(at)
    assert any("Press **Run privacy audit**" in c.value for c in at.caption)
    audit(at, "2d", 4)
    no_errors(at)
    maps = [s for s in specs(at) if s["layout"].get("sliders") and "(LiRA)" in json.dumps(s["layout"])]
    assert len(maps) == 1, "the exposure map is missing"
    layout = maps[0]["layout"]
    steps = layout["sliders"][0]["steps"]
    assert len(steps) >= 10 and float(steps[layout["sliders"][0]["active"]]["label"]) == 0.0  # LiRA's rule: log Λ > 0
    points = [t for t in maps[0]["data"] if t.get("name") == "training points"]
    assert len(points) == 3 and sum(len(array(t["x"])) for t in points) == 3 * 118  # every kept training point, per model
    rocs = [s for s in specs(at) if "ROC per model" in json.dumps(s["layout"].get("title", ""))]
    assert len(rocs) == 1 and rocs[0]["layout"]["xaxis"]["type"] == "log" and rocs[0]["layout"]["yaxis"]["type"] == "log"
    assert any("forgotten points' mean score" in m.value for m in at.markdown)
    at.selectbox(key=widget_key("2d", "ui.privacy.attack")).set_value("ulira").run()
    no_errors(at)
    assert any("(U-LiRA)" in json.dumps(s["layout"]) for s in specs(at))
    at.number_input(key=widget_key("2d", "ui.privacy.references")).set_value(7).run()
    at.button(key=widget_key("2d", "ui.privacy.run")).click().run()
    assert not at.exception and len(at.error) == 1 and "even" in at.error[0].value
    assert any("How the boundary moves" in h.value for h in at.subheader)  # the run is still shown


def test_the_images_page_ranks_the_forgotten_images_by_exposure(start):
    at = start(page="pages/images.py", fast=False)
    at.selectbox(key=widget_key("img", "dataset.name")).set_value("faces").run()
    at.number_input(key=widget_key("img", "ui.pick.percent")).set_value(3.0).run()
    at.button(key=widget_key("img", "ui.pick.random_go")).click().run()
    at.button(key=widget_key("img", "ui.unlearn")).click().run()
    no_errors(at)
    audit(at, "img", 2)
    no_errors(at)
    bars = [s for s in specs(at) if "most exposed first" in json.dumps(s["layout"].get("title", ""))]
    assert len(bars) == 1
    ranked = bars[0]["data"][0]["x"]
    assert len(ranked) == 4 and all(x.startswith("#") for x in ranked)  # 3 % of 150 training images
    method = next(t for t in bars[0]["data"] if t["name"].startswith("JiT"))  # named as it ran (its step guard)
    assert array(method["y"]) == sorted(array(method["y"]), reverse=True)  # most exposed under the method first
