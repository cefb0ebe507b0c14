"""The classroom load benchmark: its statistics, its CLI's bad input, and one real session end to end."""
import os

import pytest

from explorer.bench import load
from explorer.cli import main


def test_percentiles_interpolate_and_handle_no_values():
    assert load.percentile([], 95) is None
    assert load.percentile([3.0], 50) == 3.0
    assert load.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert load.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def test_the_table_names_the_machine_the_date_and_every_error():
    row = {"sessions": 10, "click_p50": 2.0, "click_p95": 4.5, "open_p50": 3.0, "open_p95": 6.0, "errors": 1,
           "server_peak_mb": 812.4, "error_samples": ["TimeoutError: waited too long"]}
    table = load.format_table({"machine": "2 × CPU", "date": "2026-01-01", "link": "/", "point": 10, "rows": [row]})
    assert "| 10 | 2.0 | 4.5 | 3.0 | 6.0 | 1 | 812 |" in table
    assert "2 × CPU; 2026-01-01" in table and "TimeoutError" in table


def test_peak_memory_reads_this_process():
    with load.PeakMemory(os.getpid(), every=0.01) as memory:
        block = bytearray(50 * 2**20)
        block[::4096] = b"x" * len(block[::4096])
    assert memory.peak > 50


@pytest.mark.parametrize("args", [["--load", "0"], ["--load", "abc"], ["--load", "1000"],
                                  ["--load", "1", "--load-timeout", "nan"]])
def test_bad_load_arguments_exit_2_with_one_line(args, tmp_path, capsys):
    assert main(["bench", *args, "--out", str(tmp_path / "load.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_one_real_session_reaches_a_playable_animation(tmp_path):
    row = load.load_run(1, query="d.samples=160&t.epochs=300&c.jit.passes=10", timeout_s=240, log_dir=tmp_path)
    assert row["errors"] == 0, row["error_samples"]
    assert row["click_p50"] > 0 and row["server_peak_mb"] > 100
