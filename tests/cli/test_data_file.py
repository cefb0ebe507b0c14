"""``--data-file``: a CSV of held-out points trains and unlearns; a malformed file exits 2 with one line before any
work; a scenario is tied to its data by the content hash and may carry small data inside."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.cli import main
from toy_data import default_spec, load_dataset

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--epochs", "200", "--passes", "5", "--forget-ids", "3"]


@pytest.fixture(scope="module")
def held_out(tmp_path_factory) -> Path:
    """The test points of moons (seed 1, 800 samples) as a spreadsheet writes them: BOM, header, CRLF."""
    data = load_dataset(default_spec("moons", samples=800, seed=1))
    path = tmp_path_factory.mktemp("data") / "held_out.csv"
    rows = "".join(f"{a:.4f},{b:.4f},{c}\r\n" for (a, b), c in zip(data.x_test, data.y_test))
    path.write_bytes(("\ufeffx1,x2,label\r\n" + rows).encode("utf-8"))
    return path


def test_a_csv_of_held_out_points_trains_and_unlearns(held_out, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["run", "--data-file", str(held_out), *QUICK, "--compare", "greedy", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    dataset = report["scenario"]["dataset"]
    assert dataset["name"] == "file" and dataset["file"]["name"] == str(held_out)
    assert len(dataset["file"]["sha256"]) == 64 and dataset["file"]["embedded"].startswith("\ufeffx1,x2,label")
    assert report["scenario"]["forget_ids"] == [3]
    assert set(report["models"]) == {"original", "retrain", "jit", "greedy"}
    assert report["models"]["original"]["metrics"]["test_acc"] > 0.8
    # the report's scenario reproduces the run alone (the data travels inside), and with the same file too
    again = tmp_path / "again.json"
    assert main(["run", "--scenario", str(out), "--out", str(again)]) == 0
    assert json.loads(again.read_text())["models"]["jit"]["metrics"] == report["models"]["jit"]["metrics"]
    assert main(["run", "--scenario", str(out), "--data-file", str(held_out), "--out", str(again)]) == 0


def test_a_scenario_refuses_data_whose_hash_differs(held_out, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["run", "--data-file", str(held_out), *QUICK, "--out", str(out)]) == 0
    other = tmp_path / "other.csv"
    other.write_bytes(held_out.read_bytes().replace(b"\r\n", b"\n"))  # the same numbers, other bytes
    capsys.readouterr()
    assert main(["run", "--scenario", str(out), "--data-file", str(other)]) == 2
    err = capsys.readouterr().err
    assert "not the same data" in err and err.count("\n") == 1
    # a scenario that names its file by path only (too big to embed): the file at that path must match
    raw = json.loads(out.read_text())["scenario"]
    raw["dataset"]["file"] = {"sha256": raw["dataset"]["file"]["sha256"], "name": str(other)}
    (tmp_path / "by_path.json").write_text(json.dumps(raw))
    from toy_data import files
    files._STORE.clear()  # a fresh process: nothing uploaded before
    assert main(["run", "--scenario", str(tmp_path / "by_path.json")]) == 2
    assert "it is not the same data" in capsys.readouterr().err


def test_data_file_and_dataset_together_are_refused(held_out, capsys):
    assert main(["run", "--data-file", str(held_out), "--dataset", "moons", "--forget-ids", "1"]) == 2
    assert "not both" in capsys.readouterr().err


BAD = {
    "text.csv": "x1,x2,label\n" + "1,2,0\n" * 6 + "1,two,1\n" + "3,4,1\n" * 6,
    "nan.csv": "x1,x2,label\n" + "1,2,0\n" * 6 + "NaN,2,1\n" + "3,4,1\n" * 6,
    "one_class.csv": "x1,x2,label\n" + "1,2,1\n" * 14,
    "big_label.csv": "x1,x2,label\n" + "1,2,0\n" * 6 + "1,2,1000000000\n" + "3,4,1\n" * 6,
    "missing.csv": "x1,x2,label\n" + "1,2,0\n" * 6 + "1,2\n" + "3,4,1\n" * 6,
    "huge.csv": None,  # 50 MB
}
WHY = {"text.csv": "row 8, column x2: 'two' is not a number", "nan.csv": "row 8, column x1: NaN is not a finite",
       "one_class.csv": "at least two classes", "big_label.csv": "label 1000000000 is not a class",
       "missing.csv": "row 8 has 2 value(s)", "huge.csv": "larger than 2 MB"}


@pytest.mark.parametrize("name", list(BAD))
def test_a_malformed_file_exits_2_with_one_line_before_any_work(name, tmp_path, capsys):
    path = tmp_path / name
    if BAD[name] is None:
        with open(path, "wb") as f:
            f.seek(50 * 2**20 - 1)
            f.write(b"\n")
    else:
        path.write_text(BAD[name])
    args = ["run", "--data-file", str(path), "--forget-ids", "1", "--out", str(tmp_path / "r.json")]
    assert main(args) == 2  # the command itself
    err = capsys.readouterr().err
    assert WHY[name] in err and err.count("\n") == 1 and not (tmp_path / "r.json").exists()
    done = subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # `python -m explorer` checks the file before it loads torch
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1 and WHY[name] in done.stderr


def test_an_npz_of_images_trains_a_cnn(tmp_path, capsys):
    digits = load_dataset(default_spec("digits", samples=300))
    path = tmp_path / "digits.npz"
    np.savez(path, x=(digits.x_train.reshape(-1, 8, 8) * 255).astype(np.uint8), y=digits.y_train)
    out = tmp_path / "r.json"
    assert main(["run", "--data-file", str(path), "--epochs", "5", "--forget-class", "3", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["scenario"]["model"]["kind"] == "cnn" and report["models"]["retrain"]["metrics"]["forget_acc"] < 0.5
