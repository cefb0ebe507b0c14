"""Adding a method is one module: docs/example_method.py copied into explorer/unlearning/ of a copy of the project,
nothing else edited, reaches ``methods``, the CLI (``--method``, ``--compare``, ``--set`` with its declared range),
both pages' method pickers and the work budget."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


def test_the_new_method_is_listed_with_its_settings(project):
    out = _run(project, "methods")
    assert out.returncode == 0, out.stderr
    assert "shrink: Shrink: multiply every weight" in out.stdout
    assert "setting factor = 0.9: between 0 and 1" in out.stdout


def test_the_cli_runs_it_and_refuses_a_setting_outside_its_declaration(project, tmp_path):
    base = ["run", "--samples", "100", "--epochs", "50", "--forget-ids", "1,2", "--threads", "1"]
    out = _run(project, *base, "--method", "shrink", "--set", "shrink.factor=0.5", "--compare", "jit", "--passes", "1",
               "--out", str(tmp_path / "report.json"))
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["models"]) == {"original", "retrain", "shrink", "jit"}
    assert report["scenario"]["configs"]["shrink"] == {"factor": 0.5}
    bad = _run(project, *base, "--method", "shrink", "--set", "shrink.factor=2")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: shrink.factor must be between 0 and 1, got 2"


def test_both_pages_pickers_and_the_budget_see_it(project):
    code = ("from dataclasses import replace\n"
            "from streamlit.testing.v1 import AppTest\n"
            "from explorer import pipeline\n"
            "from explorer.config.scenario import default_scenario\n"
            "from explorer.ui.state import widget_key\n"
            "from toy_data import load_dataset\n"
            "s = replace(default_scenario('moons'), method='shrink')\n"
            "print('recording shrink' in pipeline.work(s, load_dataset(s.dataset), 3).parts)\n"
            "for page, key, link in (('app.py', '2d', {'d.samples': '100', 't.epochs': '50'}),\n"
            "                        ('pages/images.py', 'img', {})):\n"
            "    at = AppTest.from_file(page, default_timeout=600)\n"
            "    for k, v in link.items():\n"
            "        at.query_params[k] = v\n"
            "    at.run()\n"
            "    assert not at.exception, at.exception\n"
            "    print('shrink' in at.selectbox(key=widget_key(key, 'method')).options[-1])\n")
    out = _run(project, code=code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True"], out.stdout
