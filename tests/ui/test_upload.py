"""Uploads on both pages (AppTest drives st.file_uploader): a CSV of points on the 2D explorer, an .npz of images on
the images page; a bad file is one line and the page keeps the data it had."""
import io

import numpy as np
import pytest

from explorer.ui.state import widget_key
from tests.ui.test_edit import count
from tests.ui.test_explore import K, no_traceback, qp
from tests.ui.test_images import forget_count, no_errors
from toy_data import default_spec, load_dataset

pytestmark = pytest.mark.timeout(600)


def csv_bytes(n=80) -> bytes:
    x = np.random.default_rng(0).normal(size=(n, 2))
    return ("\ufeffx1,x2,label\r\n" + "".join(f"{a:.3f},{b:.3f},{int(a * b > 0)}\r\n" for a, b in x)).encode()


def test_a_csv_upload_becomes_the_data_and_a_bad_one_changes_nothing(start):
    at = start()
    at.file_uploader(key=K("ui.upload")).set_value(("points.csv", csv_bytes(), "text/csv")).run()
    no_traceback(at)
    assert count(at) == 60 and at.session_state[K("dataset.name")] == "file"
    assert qp(at)["ds"] == "file" and len(qp(at)["data"]) == 64
    assert at.number_input(key=K("dataset.samples")).disabled  # samples and noise are the generators' business
    bad = b"x1,x2,label\n" + b"1,2,0\n" * 6 + b"1,abc,1\n" + b"3,4,1\n" * 6
    at.file_uploader(key=K("ui.upload")).set_value(("bad.csv", bad, "text/csv")).run()
    assert any("row 8, column x2: 'abc' is not a number" in e.value for e in at.error), [e.value for e in at.error]
    assert count(at) == 60 and at.session_state[K("dataset.name")] == "file"
    fresh = start({"ds": "file", "data": qp(at)["data"]})  # the same server holds the data: the link finds it
    assert count(fresh) == 60
    gone = start({"ds": "file", "data": "0" * 64})
    assert count(gone) == 120 and any("holds no data file" in w.value for w in gone.warning)  # moons instead


def test_an_npz_upload_on_the_images_page_trains_on_it(start):
    digits = load_dataset(default_spec("digits", samples=240))
    buf = io.BytesIO()
    np.savez_compressed(buf, x=(digits.x_train.reshape(-1, 8, 8) * 255).astype(np.uint8), y=digits.y_train)
    at = start(page="pages/images.py", fast=False)
    at.number_input(key=widget_key("img", "train.epochs")).set_value(5).run()
    at.file_uploader(key=widget_key("img", "ui.upload")).set_value(("my_digits.npz", buf.getvalue(), "application/zip"))
    at.run()
    no_errors(at)
    assert at.session_state[widget_key("img", "dataset.name")] == "file"
    trained = [m for m in at.metric if m.label == "training images"]
    assert trained and int(trained[0].value) == len(digits.x_train) - int(np.ceil(0.25 * len(digits.x_train)))
    assert forget_count(at) == 0
    at.file_uploader(key=widget_key("img", "ui.upload")).set_value(("pts.npz", b"x,label\n" + b"1,0\n2,1\n" * 6,
                                                                    "application/zip")).run()
    assert any("data file 'pts.npz': is not a readable .npz" in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state[widget_key("img", "dataset.name")] == "file" and not at.exception  # the data it had
