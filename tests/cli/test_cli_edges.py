"""CLI edges: odd files and paths, odd addresses, odd grids and odd JSON each exit 2 with one line on stderr,
before any work (no training, nothing left on disk), and never hang."""
import http.server
import json
import os
import socket
import threading
import time

import pytest

from explorer.cli import main

pytestmark = pytest.mark.timeout(120)


def one_line_exit_2(argv, capsys, seconds: float = 30.0) -> str:
    started = time.perf_counter()
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, (code, err)
    assert time.perf_counter() - started < seconds, err
    assert len(err) < 400, err
    return err


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize("command", [["run"], ["atlas"], ["calibrate", "--seeds", "1"], ["bench"]])
def test_a_fifo_as_out_is_refused_not_waited_on(command, fifo, capsys):
    assert "not a regular file" in one_line_exit_2([*command, "--out", fifo], capsys)


@pytest.mark.parametrize("command", [["run"], ["atlas"]])
def test_a_fifo_or_a_device_as_scenario_is_refused(command, fifo, capsys):
    for path in (fifo, "/dev/zero", "/dev/urandom"):
        assert "not a regular file" in one_line_exit_2([*command, "--scenario", path], capsys)


@pytest.mark.parametrize("command", [["run"], ["atlas"], ["calibrate", "--seeds", "1"], ["bench"]])
def test_a_full_device_is_refused_before_the_work(command, capsys):
    assert "No space left" in one_line_exit_2([*command, "--out", "/dev/full"], capsys)


def test_a_long_file_name_and_a_folder_and_a_missing_folder_are_one_line(tmp_path, capsys):
    assert "too long" in one_line_exit_2(["run", "--out", str(tmp_path / ("a" * 300))], capsys)
    assert "folder" in one_line_exit_2(["run", "--out", str(tmp_path)], capsys)
    assert "no such folder" in one_line_exit_2(["run", "--out", str(tmp_path / "no" / "x.json")], capsys)


def test_a_dangling_link_as_out_leaves_nothing_at_its_target(tmp_path, capsys):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    link.symlink_to(target)
    assert "symbolic link" in one_line_exit_2(["run", "--out", str(link)], capsys)
    assert not target.exists()


def test_checking_an_existing_out_keeps_its_contents(tmp_path, capsys):
    out = tmp_path / "old.json"
    out.write_text("old")
    assert main(["run", "--forget-ids", "1", "--samples", "40", "--epochs", "-1", "--out", str(out)]) == 2
    assert out.read_text() == "old"
    capsys.readouterr()


@pytest.mark.parametrize("address", ["127.0.0.1:123456789012345678901234567890", "127.0.0.1:0", "127.0.0.1:x",
                                     "ray://127.0.0.1:99999"])
def test_a_ray_address_with_an_impossible_port_is_one_line(address, capsys):
    assert "port 1-65535" in one_line_exit_2(["atlas", "--backend", "ray", "--address", address], capsys)


def serve(handler_loop) -> tuple[str, threading.Thread]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    thread = threading.Thread(target=handler_loop, args=(listener,), daemon=True)
    thread.start()
    return f"127.0.0.1:{listener.getsockname()[1]}", thread


class Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # the test's stderr is the CLI's
        pass


def test_a_web_server_or_a_silent_service_at_the_address_is_not_ray(capsys):
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=web.serve_forever, daemon=True).start()

    def silent(listener):
        conn, _ = listener.accept()
        time.sleep(10)
        conn.close()

    address, _ = serve(silent)
    try:
        for where in (f"127.0.0.1:{web.server_address[1]}", address, f"ray://{address}"):
            err = one_line_exit_2(["calibrate", "--seeds", "1", "--backend", "ray", "--address", where], capsys, 20)
            assert "is not a Ray cluster" in err
    finally:
        web.shutdown()


@pytest.mark.parametrize("flags, message", [
    (["--weight-decays", "5"], "--weight-decays"), (["--datasets", "line"], "2D toys"),
    (["--datasets", "faces"], "2D toys"), (["--sigmas", "0"], "--sigmas"), (["--step-guards", "-1"], "--step-guards"),
    (["--passes", "0"], "--passes"), (["--seeds", "1,-3"], "--seeds"),
])
def test_calibrate_refuses_a_grid_outside_the_limits_before_the_study(flags, message, tmp_path, capsys):
    assert message in one_line_exit_2(["calibrate", *flags, "--out", str(tmp_path / "c.json")], capsys)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("text, message", [
    ('{"configs": {"jitt": {"passes": 2}}, "forget": {"ids": [1]}}', "unknown method 'jitt'"),
    ('{"presets": {"nope": "x"}, "forget": {"ids": [1]}}', "unknown method 'nope'"),
    ('{"configs": {"scrub": {"alpha": -5}}, "forget": {"ids": [1]}}', "scrub"),
    ('{"dataset": {"samples": 100, "samples": 200}}', "appears twice"),
    ('{"forget": {"ids": [1]}, "forget": {"ids": [2]}}', "appears twice"),
])
def test_scenario_files_with_unknown_methods_or_duplicate_keys_are_refused(text, message, tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(text)
    assert message in one_line_exit_2(["run", "--scenario", str(path), "--out", str(tmp_path / "r.json")], capsys)


def test_a_byte_order_mark_is_read_as_usual(tmp_path, capsys):
    path, out = tmp_path / "s.json", tmp_path / "r.json"
    scenario = {"dataset": {"name": "moons", "samples": 60}, "train": {"epochs": 30},
                "forget": {"ids": [1]}, "configs": {"jit": {"passes": 2}}}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(scenario).encode())
    assert main(["run", "--scenario", str(path), "--threads", "1", "--out", str(out)]) == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["scenario"]["forget_ids"] == [1]
