"""The worker pool the sessions share: a run computed there is the run computed in the session's thread."""
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import plotly.io as pio
import pytest
import streamlit.elements.plotly_chart  # noqa: F401  (as in the server: Streamlit's default Plotly template)
import torch

from explorer import pipeline
from explorer.config.scenario import ScenarioError
from explorer.scenarios import default_scenario
from explorer.figures.common import from_spec
from explorer.studies import runner
from explorer.ui import pool
from explorer.views import two_d as V

# The nice value a long job drops to: LOW_PRIORITY where threads have their own (Linux, as in CI); elsewhere a long
# job keeps its priority and still counts as long (explorer/ui/pool.py).
_LOW = pool.LOW_PRIORITY if pool.PER_THREAD_NICE else 0

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def started():
    if runner.default_workers() < 2:
        pytest.fail("the pool needs two cores; this machine has one")
    runner.process_pool(pool.workers())  # started and answering, as after the first session
    assert pool.ready()
    return True


@pytest.fixture(scope="module")
def small():
    scenario = pipeline.with_compare(default_scenario("moons", samples=160), ["neggrad"])
    scenario = replace(scenario, train=replace(scenario.train, epochs=300))
    return scenario, pipeline.train_original(scenario, device=torch.device("cpu"))


def test_jobs_run_in_a_worker_when_the_pool_runs_and_here_when_it_is_off(started, monkeypatch):
    assert pool.run(pool.job_process) != os.getpid()
    monkeypatch.setenv("EXPLORER_POOL", "0")
    assert pool.run(pool.job_process) == os.getpid()


def test_a_run_in_the_pool_equals_the_run_in_the_sessions_thread(started, small, monkeypatch):
    scenario, trained = small
    reports = []
    retrain = pool.run(pipeline.retrain_reference, scenario, trained, [3, 40], progress=lambda *r: reports.append(r))
    in_pool, specs = pool.run(V.page_run, scenario, trained, [3, 40], (retrain[0], retrain[2]),
                              progress=lambda *r: reports.append(r))
    monkeypatch.setenv("EXPLORER_POOL", "0")
    here_retrain = pool.run(pipeline.retrain_reference, scenario, trained, [3, 40])
    here, here_specs = pool.run(V.page_run, scenario, trained, [3, 40], (here_retrain[0], here_retrain[2]))
    for a, b in zip(retrain[0].state_dict().values(), here_retrain[0].state_dict().values()):
        assert torch.equal(a, b)
    assert in_pool.references == here.references and list(in_pool.results) == list(here.results) == ["jit", "neggrad"]
    for name in here.results:
        a, b = in_pool.results[name].trajectory, here.results[name].trajectory
        assert a.to_list() == b.to_list()
        for p, q in zip(a.points, b.points):
            np.testing.assert_array_equal(p.probs, q.probs)
    assert pio.templates.default == "streamlit"  # the workers draw with the server's template, not plotly's
    as_json = lambda figs: {k: pio.to_json(from_spec(v), validate=False) for k, v in figs.items()}  # noqa: E731
    assert as_json(specs) == as_json(here_specs)  # the figures, byte for byte
    labels = {label for label, _ in reports}
    assert {"retraining without the forget set", "running jit"} <= labels  # progress came back from the worker
    assert all(0.0 <= fraction <= 1.0 for _, fraction in reports)


def test_a_bad_scenario_fails_in_the_worker_as_it_fails_here(started, small):
    scenario, trained = small
    with pytest.raises(ScenarioError, match="out of range"):
        pool.run(V.page_run, scenario, trained, [10_000])


def test_a_prefetched_retrain_reference_is_the_one_unlearn_uses(started, small, monkeypatch):
    """Choosing points starts the retrain reference in a free worker; Unlearn then finds it (the same model as
    computed in the session's thread), and a forget set already there or under way is not prefetched twice."""
    import time

    from explorer.ui import cache

    scenario, trained = small
    assert cache.prefetch_retrain(scenario, trained, [7, 9])
    assert not cache.prefetch_retrain(scenario, trained, [9, 7])  # under way (or done)
    deadline = time.time() + 300
    while (cache.training_key(scenario), (7, 9)) not in cache._store()["retrain"] and time.time() < deadline:
        time.sleep(0.2)
    model, _ = cache.retrain_for(scenario, trained, [7, 9])
    monkeypatch.setenv("EXPLORER_POOL", "0")
    here, _, _ = pool.run(pipeline.retrain_reference, scenario, trained, [7, 9])
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), here.state_dict().values()))
    assert not cache.prefetch_retrain(scenario, trained, [7, 9])  # cached
    assert not cache.prefetch_retrain(scenario, trained, [11])  # the pool is off


def test_a_long_job_yields_the_cpu_and_a_short_one_keeps_its_priority(started, monkeypatch):
    """Past DEMOTE_AFTER a job's thread runs at LOW_PRIORITY (where threads have nice values of their own: Linux,
    as in CI); the worker's next job starts at the normal one."""
    monkeypatch.setattr(pool, "DEMOTE_AFTER", 0.3)
    worker, nice = pool.run(pool.job_priority, 1.0)
    assert worker != os.getpid() and nice >= _LOW
    assert [pool.run(pool.job_priority)[1] for _ in range(2 * pool.workers())] == [0] * (2 * pool.workers())
    with pytest.raises(ScenarioError, match="out of range"):  # a failure still reaches the session as itself
        pool.demoting(lambda: pipeline.resolve_forget(default_scenario("moons"), pipeline.load_data(
            default_scenario("moons")), [10_000]), 0.1)


def test_a_job_runs_in_the_sessions_thread_when_every_worker_holds_a_long_one(started, monkeypatch):
    monkeypatch.setattr(pool, "DEMOTE_AFTER", 0.3)
    with ThreadPoolExecutor(pool.workers()) as sessions:
        long = [sessions.submit(pool.run, pool.job_priority, 2.5) for _ in range(pool.workers())]
        deadline = time.time() + 60
        while pool.long_jobs() < pool.workers() and time.time() < deadline:
            time.sleep(0.05)
        assert pool.long_jobs() == pool.workers()
        assert pool.run(pool.job_process) == os.getpid()  # not queued behind them
        assert all(job.result()[0] != os.getpid() for job in long)
    assert pool.long_jobs() == 0 and pool.run(pool.job_process) != os.getpid()


def test_a_started_pool_counts_as_ready_only_once_every_worker_is_warm(started):
    runner.shutdown_pool()
    pool.start()
    assert not pool.ready() and pool.run(pool.job_process) == os.getpid()  # meanwhile: the session's thread
    deadline = time.time() + 300
    while not pool.ready() and time.time() < deadline:
        time.sleep(0.1)
    assert pool.ready() and pool.run(pool.job_process) != os.getpid()


def test_jobs_waiting_in_the_queue_do_not_count_as_long_ones(started, monkeypatch):
    """A class's short jobs queue behind each other for longer than DEMOTE_AFTER; none of them is a long job, so
    they stay in the pool (and at the normal priority)."""
    monkeypatch.setattr(pool, "DEMOTE_AFTER", 1.5)
    with ThreadPoolExecutor(3 * pool.workers()) as sessions:
        jobs = [sessions.submit(pool.run, pool.job_priority, 1.2) for _ in range(3 * pool.workers())]
        seen = []
        while not all(job.done() for job in jobs):
            seen.append(pool.long_jobs())
            time.sleep(0.05)
    assert max(seen) == 0
    assert all(job.result()[0] != os.getpid() and job.result()[1] == 0 for job in jobs)


def test_a_job_thread_that_may_not_get_its_priority_back_is_replaced(monkeypatch):
    """Raising a nice value again needs privileges a server may lack: the demoted job thread then ends and the next
    job runs in a new one at the normal priority."""
    monkeypatch.setattr(pool.JobThread, "restore", lambda self: False)
    first = pool.JobThread.current()
    demoted = []
    _, nice = pool.demoting(lambda: pool.job_priority(0.4), 0.1, lambda: demoted.append(True))
    assert nice >= _LOW and demoted == [True]
    assert pool.JobThread.current() is not first and pool.demoting(pool.job_priority, 0.1)[1] == 0
    first.thread.join(5)
    assert not first.thread.is_alive()
