"""Adding a method is one module: docs/example_method.py copied into explorer/unlearning/ of a copy of the project,
nothing else edited, reaches ``methods``, the CLI (``--method``, ``--compare``, ``--set`` checked against the range
the module declares), both pages' method pickers (the sidebar's and the sweep panel's) and the sweep (the study
primitive, the ``sweep`` command and the 2D page's panel, over the new method's own settings)."""
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
    for part in ("explorer", "toy_data", "pages", "app.py", "tests/ui/apptest.py"):
        (copy / part).parent.mkdir(parents=True, exist_ok=True)
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


def test_both_pages_pickers_offer_it_and_the_2d_page_sweeps_it(project):
    """Through tests/ui/apptest.py's ``open_page`` (the ``start`` fixture's), run inside the copy: each page's
    sidebar picker, then after an Unlearn its sweep panel's picker; on the 2D page a 2×2 sweep over shrink's
    factor × steps."""
    code = ("import json\n"
            "from tests.ui.apptest import open_page\n"
            "from explorer.ui.state import widget_key\n"
            "for page, key, link in (('app.py', '2d', {'d.samples': '100', 't.epochs': '50', 'f': '3,10'}),\n"
            "                        ('pages/images.py', 'img', {'t.epochs': '2'})):\n"
            "    at = open_page(link, page=page, fast=False, timeout=600)\n"
            "    print(any('shrink' in str(o) for o in at.selectbox(key=widget_key(key, 'method')).options))\n"
            "    if key == 'img':  # the images page's forget set: 1 % of the images at random\n"
            "        at.number_input(key=widget_key(key, 'ui.pick.percent')).set_value(1.0).run()\n"
            "        at.button(key=widget_key(key, 'ui.pick.random_go')).click().run()\n"
            "    at.button(key=widget_key(key, 'ui.unlearn')).click().run()\n"
            "    assert not at.exception, at.exception\n"
            "    picker = at.selectbox(key=widget_key(key, 'ui.sweep.method'))\n"
            "    print('shrink' in picker.options and picker.value == 'jit')\n"
            "    if key == '2d':\n"
            "        picker.set_value('shrink').run()\n"
            "        print(at.selectbox(key=widget_key(key, 'ui.sweep.shrink.x')).value,\n"
            "              at.selectbox(key=widget_key(key, 'ui.sweep.shrink.y')).value)\n"
            "        boxes = {t.key: t for t in at.text_input if t.key.startswith(widget_key(key, 'ui.sweep.shrink.'))}\n"
            "        next(t for k, t in boxes.items() if '.factors' in k).set_value('0.5, 0.9')\n"
            "        next(t for k, t in boxes.items() if '.stepss' in k).set_value('1, 2')\n"
            "        at.button(key=widget_key(key, 'ui.sweep.run')).click().run()\n"
            "        assert not at.exception and not at.error, (at.exception, at.error)\n"
            "        figs = [json.loads(c.proto.spec) for c in at.get('plotly_chart')]\n"
            "        sweep = next(f for f in figs if 'shrink over factor×steps' in json.dumps(f['layout'], ensure_ascii=False))\n"
            "        print(sorted({(len(t['x']), len(t['y'])) for t in sweep['data'] if t['type'] == 'heatmap'}))\n")
    out = _run(project, code=code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["True", "True", "factor steps", "[(2, 2)]", "True", "True"], out.stdout


def test_the_sweep_runs_it_over_its_own_settings(project, tmp_path):
    """The ``sweep`` command (the study primitive's cells): a 2×2 sweep of shrink over factor × steps, 4 cells;
    a value outside the declared range is refused in one line before any work."""
    base = ["sweep", "--samples", "100", "--epochs", "50", "--forget-ids", "1,2", "--method", "shrink"]
    out = _run(project, *base, "--x", "factor=0.5,0.9", "--y", "steps=1,2", "--backend", "serial",
               "--out", str(tmp_path / "sweep.json"))
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "sweep.json").read_text())
    assert (result["method"], result["x"], result["y"]) == ("shrink", "factor", "steps")
    assert result["xs"] == [0.5, 0.9] and result["ys"] == [1, 2]
    cells = [v for row in result["metrics"]["forget_acc"] for v in row]
    assert len(cells) == 4 and all(0 <= v <= 1 for v in cells)
    bad = _run(project, *base, "--x", "factor=0.5,2")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: shrink.factor must be between 0 and 1, got 2"
