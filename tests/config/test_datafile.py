"""A user's data file: read as spreadsheets write it, every malformed file one line naming the row or field."""
import io
import zipfile

import numpy as np
import pytest

from explorer.config.datafile import DataFile, data_file, read_data_file, sha256
from explorer.config.limits import MAX_DATA_BYTES, MAX_EMBEDDED_BYTES


def points(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, (x[:, 0] > 0).astype(int)


def csv_text(x, y, header="x1,x2,label", sep=",", newline="\n") -> str:
    rows = [sep.join([*(f"{v:.5f}" for v in p), str(c)]) for p, c in zip(x, y)]
    return newline.join(([header.replace(",", sep)] if header else []) + rows) + newline


def test_a_spreadsheet_csv_with_bom_header_and_windows_line_ends_reads_as_usual():
    x, y = points()
    raw = ("\ufeff" + csv_text(x, y, newline="\r\n")).encode("utf-8")
    back, parsed = read_data_file(raw, "sheet.csv")
    assert back == raw and parsed.columns == ("x1", "x2", "label")
    np.testing.assert_allclose(parsed.x, x, atol=1e-5)
    assert parsed.y.tolist() == y.tolist() and parsed.n_classes == 2 and not parsed.is_images


@pytest.mark.parametrize("header, sep", [(None, ","), ("a,b,class", ";"), ("label,x,y", "\t")])
def test_headerless_other_separators_and_named_label_columns(header, sep):
    x, y = points()
    if header and header.startswith("label"):
        text = "\t".join(["label", "x", "y"]) + "\n" + "".join(f"{c}\t{p[0]}\t{p[1]}\n" for p, c in zip(x, y))
    else:
        text = csv_text(x, y, header=header, sep=sep)
    _, parsed = read_data_file(text.encode(), "data.csv")
    np.testing.assert_allclose(parsed.x, x, atol=1e-5)
    assert parsed.y.tolist() == y.tolist()


def test_a_line_of_points_and_labels_written_as_decimals():
    text = "x,label\n" + "".join(f"{v},{float(v > 0)}\n" for v in np.linspace(-3, 3, 20))
    _, parsed = read_data_file(text.encode(), "line.csv")
    assert parsed.x.shape == (20, 1) and set(parsed.y.tolist()) == {0, 1}


BAD = {
    "text in a number column": ("x1,x2,label\n" + "1,2,0\n" * 5 + "1,abc,1\n" + "3,4,1\n" * 5,
                                "row 7, column x2: 'abc' is not a number"),
    "NaN": ("x1,x2,label\n" + "1,2,0\n" * 5 + "nan,1,1\n" + "3,4,1\n" * 5, "row 7, column x1: nan is not a finite"),
    "one class": ("x1,x2,label\n" + "1,2,0\n" * 12, "has label 0: a classifier needs at least two classes"),
    "a label of 10^9": ("x1,x2,label\n" + "1,2,0\n" * 5 + "1,2,1000000000\n" + "3,4,1\n" * 5,
                        "row 7, column label: label 1000000000 is not a class"),
    "a missing column": ("x1,x2,label\n" + "1,2,0\n" * 5 + "1,2\n" + "3,4,1\n" * 5,
                         "row 7 has 2 value(s); the header has 3 columns"),
    "no label column": ("x1,x2\n" + "1,2\n" * 12, "has no label column"),
    "a fractional label": ("x,label\n" + "1,0\n" * 5 + "2,0.5\n" + "3,1\n" * 5, "row 7, column label: 0.5 is not a whole"),
    "too many columns": ("a,b,c,label\n" + "1,2,3,0\n" * 6 + "1,2,3,1\n" * 6, "3 coordinate column(s)"),
    "too few rows": ("x1,x2,label\n1,2,0\n3,4,1\n", "at least 10"),
    "a huge coordinate": ("x1,x2,label\n" + "1,2,0\n" * 5 + "1e300,2,1\n" + "3,4,1\n" * 5, "outside ±1,000,000"),
    "not UTF-8": (b"x1,x2,label\n\xff\xfe,1,0\n", "not UTF-8"),
    "empty": ("\n\n", "is empty"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_every_malformed_csv_is_one_line_naming_the_row_or_field(case):
    content, message = BAD[case]
    raw = content if isinstance(content, bytes) else content.encode()
    with pytest.raises(ValueError) as err:
        read_data_file(raw, "bad.csv")
    text = str(err.value)
    assert "\n" not in text and text.startswith("data file 'bad.csv'") and message in text, text


def test_a_file_over_the_size_limit_stops_reading_at_the_limit(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.seek(50 * 2**20)
        f.write(b"\n")
    with pytest.raises(ValueError, match=r"larger than 2 MB"):
        read_data_file(str(path))
    with pytest.raises(ValueError, match="cannot read data file"):
        read_data_file(str(tmp_path / "missing.csv"))


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_an_npz_of_images_channels_first_or_last_and_uint8_scaled():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(30, 8, 8, 3), dtype=np.uint8)
    _, parsed = read_data_file(npz_bytes(x=images, y=np.arange(30) % 3), "imgs.npz")
    assert parsed.image_shape == (3, 8, 8) and parsed.x.shape == (30, 192) and parsed.n_classes == 3
    assert parsed.x.max() <= 1.0
    np.testing.assert_allclose(parsed.x[0].reshape(3, 8, 8), np.moveaxis(images[0], -1, 0) / 255, atol=1e-6)
    _, grey = read_data_file(npz_bytes(x=rng.random((20, 6, 5)), y=np.arange(20) % 2), "grey.npz")
    assert grey.image_shape == (1, 6, 5)


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((20, 8, 8))}, "has no array 'y'"),
    ({"x": np.zeros((20, 64, 64)), "y": np.arange(20) % 2}, "images of 64×64 pixels"),
    ({"x": np.zeros((20, 8)), "y": np.arange(20) % 2}, "is not a stack of images"),
    ({"x": np.zeros((20, 8, 8)), "y": np.arange(19) % 2}, "field y: shape (19,) does not match 20 images"),
    ({"x": np.full((20, 8, 8), np.nan), "y": np.arange(20) % 2}, "field x: image 0 has a value that is not finite"),
    ({"x": np.zeros((20, 8, 8)), "y": np.array([0] * 19 + [10**9])}, "field y, image 19: label 1000000000 is not a class"),
    ({"x": np.zeros((20, 8, 8)), "y": np.array([0.5] * 20)}, "field y, image 0: 0.5 is not a whole"),
    ({"x": np.zeros((20, 8, 8)), "y": np.array(["a"] * 20)}, "field y: dtype <U1 is not a real number type"),
    ({"x": np.zeros((20, 8, 8)), "y": np.array([object()] * 20, dtype=object)}, "holds Python objects"),
])
def test_every_malformed_npz_is_one_line(arrays, message):
    with pytest.raises(ValueError) as err:
        read_data_file(npz_bytes(**arrays), "bad.npz")
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_an_npz_that_would_unpack_past_the_limits_is_refused_from_its_header():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:  # 200,000 images of zeros: a few hundred KB compressed
        with z.open("x.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (200000, 8, 8)})
            block = b"\0" * 2**20
            for _ in range(200000 * 64 * 4 // len(block)):
                f.write(block)
        with z.open("y.npy", "w") as f:
            np.lib.format.write_array(f, np.zeros(200000, dtype=np.int64))
    assert len(buf.getvalue()) < MAX_DATA_BYTES["npz"]
    with pytest.raises(ValueError, match="200,000 images; between 10 and 20,000"):
        read_data_file(buf.getvalue(), "bomb.npz")
    with pytest.raises(ValueError, match="not a readable .npz"):
        read_data_file(b"PK\x03\x04 not really a zip", "broken.npz")


def test_the_data_file_identity_is_its_hash_and_small_files_travel_embedded():
    x, y = points()
    raw = ("\ufeff" + csv_text(x, y)).encode()
    f = data_file(raw, "p.csv")
    assert f.sha256 == sha256(raw) and f.content() == raw  # the byte-order mark survives the embedding
    images = npz_bytes(x=np.zeros((20, 8, 8)), y=np.arange(20) % 2)
    g = data_file(images, "i.npz")
    assert g.embedded.startswith("base64:") and g.content() == images
    assert data_file(b"0" * (MAX_EMBEDDED_BYTES + 1), "big.csv").embedded == ""
    with pytest.raises(ValueError, match="not the"):
        DataFile(f.sha256, "p.csv", "x,label\n").content()
    with pytest.raises(ValueError, match="64 lowercase hex"):
        DataFile("abc").check_types()
