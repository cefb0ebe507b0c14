"""Adding a method is one module: docs/example_method.py copied into explorer/unlearning/ of a copy of the project,
nothing else edited, reaches ``methods``, the CLI (``--method``, ``--compare``, ``--set`` checked against the range
the module declares) and both pages' method pickers."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("project")
    for part in ("explorer", "toy_data", "pages", "app.py"):
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, copy / part)
    shutil.copy(ROOT / "docs" / "example_method.py", copy / "explorer" / "unlearning" / "shrink.py")
    return copy


def _run(project, *args, code=None):
    argv = [sys.executable, *(["-c", code] if code else ["-m", "explorer", *args])]
    return subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin", "HOME": str(project)})


def test_the_new_method_is_listed(project):
    out = _run(project, "methods")
    assert out.returncode == 0, out.stderr
    assert "shrink: Shrink: multiply every weight by a factor (a toy example)" in out.stdout
    assert "preset gentle: docs/example_method.py" in out.stdout


def test_the_cli_runs_it_and_refuses_a_setting_outside_its_declared_range(project, tmp_path):
    base = ["run", "--samples", "100", "--epochs", "50", "--forget-ids", "1,2", "--threads", "1"]
    out = _run(project, *base, "--method", "shrink", "--set", "shrink.factor=0.5", "--compare", "jit", "--passes", "1",
               "--out", str(tmp_path / "report.json"))
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["models"]) == {"original", "retrain", "shrink", "jit"}
    assert report["scenario"]["configs"]["shrink"] == {"factor": 0.5}
    bad = _run(project, *base, "--method", "shrink", "--set", "shrink.factor=2")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: shrink.factor must be between 0 and 1, got 2"


def test_both_pages_pickers_offer_it(project):
    code = ("from streamlit.testing.v1 import AppTest\n"
            "from explorer.ui.state import widget_key\n"
            "for page, key, link in (('app.py', '2d', {'d.samples': '100', 't.epochs': '50'}),\n"
            "                        ('pages/images.py', 'img', {'t.epochs': '5'})):\n"
            "    at = AppTest.from_file(page, default_timeout=600)\n"
            "    for k, v in link.items():\n"
            "        at.query_params[k] = v\n"
            "    at.run()\n"
            "    assert not at.exception, at.exception\n"
            "    print(any('shrink' in str(o) for o in at.selectbox(key=widget_key(key, 'method')).options))\n")
    out = _run(project, code=code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"], out.stdout
