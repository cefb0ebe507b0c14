"""The classroom load benchmark: its statistics, its points, its CLI's bad input, and real sessions end to end."""
import os
import threading
import time

import pytest

from explorer.bench import load, procs
from explorer.cli import main

FAST = "d.samples=160&t.epochs=300&c.jit.passes=10"


def test_percentiles_interpolate_and_handle_no_values():
    assert load.percentile([], 95) is None
    assert load.percentile([3.0], 50) == 3.0
    assert load.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert load.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def test_distinct_sessions_click_different_points_and_the_warm_ups_none_of_theirs():
    for n_points, sessions in ((300, 100), (120, 30), (7, 5)):
        points = [load.session_point(i, n_points, True) for i in range(sessions)]
        assert len(set(points)) == len(points) and all(0 <= p < n_points for p in points)
        warmups = [load.warmup_point(sessions, n_points, True, k) for k in range(load.WARMUPS)]
        assert len(set(warmups)) == load.WARMUPS and not set(warmups) & set(points)
    assert {load.session_point(i, 300, False) for i in range(30)} == {load.POINT}
    assert load.warmup_point(30, 300, False) != load.POINT


def test_the_table_names_the_machine_the_date_the_clients_and_every_error():
    row = {"sessions": 10, "click_p50": 2.0, "click_p95": 4.5, "open_p50": 3.0, "open_p95": 6.0, "errors": 1,
           "server_peak_mb": 812.4, "server_cpu_seconds_per_session": 0.61, "load_average_before": 0.4,
           "error_samples": ["TimeoutError: waited too long"]}
    table = load.format_table({"machine": "2 × CPU", "date": "2026-01-01", "link": "/", "point": 10, "rows": [row],
                               "client": "protocol", "distinct_points": True, "pinned": False})
    assert "| 10 | 2.0 | 4.5 | 3.0 | 6.0 | 1 | 812 | 0.61 | 0.4 |" in table
    assert "2 × CPU; 2026-01-01" in table and "TimeoutError" in table
    assert "each session a different point" in table and "protocol at nice 19, nothing pinned" in table


def test_the_sampler_reads_this_process_memory_and_cpu():
    with procs.Sampler(os.getpid(), every=0.01) as sampler:
        block = bytearray(50 * 2**20)
        block[::4096] = b"x" * len(block[::4096])
        sum(i * i for i in range(2_000_000))  # some CPU
    assert sampler.peak > 50 and sampler.server_cpu.total > 0.05


def test_pinning_puts_the_server_and_the_clients_on_different_cores():
    server, clients = load.arrangement(True)
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        assert (server, clients) == (None, None)
    else:
        assert server and clients and not server & clients and server | clients == cores
    assert load.arrangement(False) == (None, None)


def test_settling_waits_until_a_busy_process_tree_is_quiet():
    def burn(until):
        while time.time() < until:
            pass
    busy = threading.Thread(target=burn, args=(time.time() + 1.0,))
    busy.start()
    waited = procs.settle(os.getpid(), window=0.2)
    busy.join()
    assert waited >= 0.8
    assert procs.settle(os.getpid(), window=0.2) < 0.5


@pytest.mark.parametrize("args", [["--load", "0"], ["--load", "abc"], ["--load", "1000"],
                                  ["--load", "1", "--load-timeout", "nan"], ["--load", "1", "--client", "telnet"],
                                  ["--load", "1", "--think", "-1"], ["--load", "1", "--think", "nan"],
                                  ["--load", "1", "--think", "1e9"]])
def test_bad_load_arguments_exit_2_with_one_line(args, tmp_path, capsys):
    assert main(["bench", *args, "--out", str(tmp_path / "load.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


@pytest.mark.timeout(400)
def test_protocol_sessions_each_forgetting_their_own_point_reach_the_animation(tmp_path):
    """Two sessions by Streamlit's protocol against a real server, each forgetting a different point and pressing
    Unlearn half a second after its click."""
    row = load.load_run(2, query=FAST, distinct=True, timeout_s=300, log_dir=tmp_path, think=0.5)
    assert row["errors"] == 0, row["error_samples"]
    assert row["ok"] == 2 and len(row["points"]) == 2 and row["distinct_points"] and row["think_seconds"] == 0.5
    assert row["click_p50"] > 0 and row["open_p95"] > 0 and row["server_peak_mb"] > 100
    assert row["server_cpu_seconds"] > 0 and row["server_cpu_seconds_per_session"] == pytest.approx(
        row["server_cpu_seconds"] / 2, abs=0.01)


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_one_real_browser_session_reaches_a_playable_animation(tmp_path):
    row = load.load_run(1, query=FAST, kind="browser", timeout_s=300, log_dir=tmp_path)
    assert row["errors"] == 0, row["error_samples"]
    assert row["click_p50"] > 0 and row["server_peak_mb"] > 100 and row["client"] == "browser"
