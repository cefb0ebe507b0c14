"""The command line answers before the engine loads: the parse layer and the settings' declarations import
neither torch nor scikit-learn, so ``--help`` and a value refused by its declaration never load them. (How
long that takes is measured by scripts/cli_latency.py, a benchmark, not here.)"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "sklearn", "scipy", "streamlit", "plotly")


def _loaded_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; which heavy modules it loaded, and its exit code."""
    probe = (f"import sys, json\nrc = None\ntry:\n    {code}\nexcept SystemExit as e:\n    rc = e.code\n"
             f"print(json.dumps({{'rc': rc, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["explorer.cli", "explorer.cli.parsers", "explorer.cli.flags",
                                    "explorer.config.fields", "explorer.config.scenario", "explorer.config.jit",
                                    "explorer.config.limits", "toy_data"])
def test_the_declarations_and_the_parse_layer_import_nothing_heavy(module):
    assert _loaded_after(f"import {module}")["heavy"] == []


@pytest.mark.parametrize("argv", [["run", "--help"], ["atlas", "--help"], ["calibrate", "--help"],
                                  ["run", "--sigma", "inf"], ["run", "--passes", "1e9"], ["run", "--model", "rnn"],
                                  ["run", "--samples", "abc"], ["run", "--frobnicate"]])
def test_help_and_a_refused_value_never_load_the_engine(argv):
    result = _loaded_after(f"from explorer.cli import main; sys.exit(main({argv!r}))")
    assert result["heavy"] == [] and result["rc"] in (0, 2), result


def test_a_command_that_runs_loads_the_engine_after_parsing():
    result = _loaded_after("from explorer.cli import main; sys.exit(main(['methods']))")
    assert result["rc"] == 0 and "torch" in result["heavy"]
