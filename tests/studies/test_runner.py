"""The one job interface: every backend (in-process, the process pool, the measured auto rule and a local
Ray) gives the same results for the same jobs, with progress; a backend that cannot run is one line."""
from __future__ import annotations

import math
from dataclasses import replace
import time

import numpy as np
import pytest
import torch

from explorer import pipeline

from explorer.studies import runner
from explorer.studies.atlas import compute_atlas
from explorer.cli import main
from explorer.studies.runner import RunnerError, run_jobs
from explorer.scenarios import default_scenario
from explorer.studies.sweep import sweep_jit

JOBS = [(2.0, float(i)) for i in range(6)]


def test_serial_processes_and_auto_give_the_same_results_in_order():
    expected = [math.pow(*job) for job in JOBS]
    for backend in ("serial", "threads", "processes", "auto"):
        calls, info = [], {}
        assert run_jobs(math.pow, JOBS, backend, 2, lambda d, t: calls.append((d, t)), info=info) == expected
        assert calls[-1] == (len(JOBS), len(JOBS)) and len(calls) == len(JOBS)
        assert info["backend"] in (("serial", "processes") if backend == "auto" else (backend,))


def test_auto_runs_tiny_jobs_in_process_as_the_pool_would_be_slower():
    runner.shutdown_pool()  # a cold pool costs its start-up
    info = {}
    run_jobs(math.pow, JOBS, "auto", 2, info=info)
    assert info == {"backend": "serial", "workers": 1}


def test_bad_backends_are_refused_in_one_line():
    with pytest.raises(RunnerError, match="unknown backend"):
        run_jobs(math.pow, JOBS, "gpus")
    with pytest.raises(RunnerError, match="Ray backend"):
        run_jobs(math.pow, JOBS, "processes", address="127.0.0.1:6379")
    start = time.perf_counter()
    with pytest.raises(RunnerError, match="cannot reach the Ray cluster at 127.0.0.1:1"):
        runner.ray_session("127.0.0.1:1")
    with pytest.raises(RunnerError, match="HOST:PORT"):
        runner.ray_session("nonsense")
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("argv, message", [
    (["atlas", "--backend", "gpus"], "invalid choice"),
    (["atlas", "--backend", "ray", "--address", "127.0.0.1:1"], "cannot reach the Ray cluster"),
    (["atlas", "--address", "127.0.0.1:1"], "--backend ray"),
    (["calibrate", "--backend", "ray", "--address", "127.0.0.1:1"], "cannot reach the Ray cluster"),
])
def test_the_cli_refuses_a_backend_that_cannot_run_with_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_local_ray_gives_the_same_atlas_as_in_process_and_the_pool():
    """Ray is installed with the test extras: this starts a local 2-CPU Ray and never skips."""
    scenario = replace(default_scenario("moons", samples=60), configs={"jit": {"passes": 3}})
    trained = pipeline.train_original(scenario, device=torch.device("cpu"))
    ids = [0, 7, 21, 33]
    kwargs = dict(ids=ids, chunk=2, workers=2)
    serial = compute_atlas(scenario, backend="serial", **kwargs)
    pool = compute_atlas(scenario, backend="processes", **kwargs)
    try:
        calls = []
        ray = compute_atlas(scenario, backend="ray", progress=lambda s, f: calls.append(f), **kwargs)
        assert run_jobs(math.pow, JOBS, "ray", 2) == [math.pow(*job) for job in JOBS]
        runner.check_reachable(runner.ray_session().get_runtime_context().gcs_address)  # a real head passes the probe
        swept = {b: sweep_jit(scenario, trained, [3], [0.2], [0.002, 0.02], workers=2, backend=b)
                 for b in ("serial", "ray")}
    finally:
        runner.shutdown_ray()
    assert (serial.backend, pool.backend, ray.backend) == ("serial", "processes", "ray")
    assert serial.points == pool.points == ray.points
    assert calls and calls[-1] == 1.0
    assert swept["ray"].backend == "ray"
    for name, values in swept["serial"].metrics.items():
        np.testing.assert_array_equal(values, swept["ray"].metrics[name], err_msg=name)


def test_pool_workers_end_when_the_process_that_started_them_is_killed(tmp_path):
    """A server killed without shutting its pool down leaves no workers behind holding their memory."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ("import os\nfrom explorer.studies import runner\npool = runner.process_pool(2)\n"
              "print(' '.join(map(str, pool._processes)), flush=True)\nos._exit(0)\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.time() + 30
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)
