"""A classroom's load: N students open one link at once, each clicks a point and presses Unlearn.

``python -m explorer bench --load 1,10,30 [--distinct-points] [--client protocol|browser] [--pin]`` starts a
real ``streamlit run app.py`` server (headless, a free port, no file watcher) for each N, warms it with two
sessions one after the other (each opens the link, the first training the original model, and unlearns a point
no measured session picks; the first starts the worker pool) and waits until it is quiet, then runs N concurrent
sessions. Each opens the link, waits for the forget-set
editor, clicks its training point (the same one for all, or with ``--distinct-points`` a different one each,
so no two sessions share a run), presses Unlearn and waits until the animation is there and playable.

The sessions are driven by a client process at the lowest CPU priority (``nice`` 19; browsers also under the
SCHED_IDLE policy, which Chromium cannot undo by renicing itself), so they take only CPU time the server leaves; ``--pin`` also pins the server to the first core and the clients to the others.
``--client protocol`` (the default) drives each session with :mod:`explorer.bench.client`, Streamlit's own
websocket protocol without a browser: the server does all the work a browser makes it do, the figures are not
drawn. ``--client browser`` opens each session in a headless Chromium (one browser context each) and waits
until the animation's slider and ▶ are drawn: in a classroom each student's browser draws on its own machine,
here every browser draws on the server's machine, and that drawing costs far more CPU than the server's work.

Per N it reports p50/p95 seconds from pressing Unlearn to the playable animation and from opening the link to
the editor, the sessions that failed (an exception, a timeout, an error line or exception on the page, a
browser page error), the server's peak resident memory and CPU seconds (the streamlit process and its
children, the worker pool included, sampled from /proc), its CPU seconds per session, the clients' CPU seconds
and the load average before and after.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import platform
import time
from datetime import date
from pathlib import Path

from explorer.bench.browser import CHROMIUM, serve_app
from explorer.bench.procs import Sampler, rss_mb, settle
from explorer.bench.sessions import POINT, Pick, client_main, session_point, warmup_point  # noqa: F401 (the API)
from explorer.studies.runner import hidden_main

LINK = ""  # the default scenario (moons, 400 samples, the calibrated JiT): what a teacher shares first
TARGETS = {1: 0.7, 10: 10.0, 30: 30.0}  # seconds, click to animation (p50 for one session, p95 otherwise)
MEMORY_TARGET_MB = 2048
WARMUPS = 2  # warm-up sessions before the measured ones, each forgetting a point no measured session picks
CLIENTS = ("protocol", "browser")


def run_clients(kind: str, url: str, query: str, picks, timeout_s: float, cores=None) -> list[dict]:
    """Run the sessions in a client process of their own, at nice 19 and pinned to ``cores`` when given."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=client_main, args=(results, kind, url, query, picks, timeout_s, cores), daemon=True)
    with hidden_main():  # `python -m explorer` would otherwise run the CLI again in the child
        proc.start()
    try:
        status, value = results.get(timeout=timeout_s * 3 + 120)
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.kill()
    if status != "ok":
        raise RuntimeError(f"the load clients failed: {value}")
    return value


# ----------------------------------------------------------------------------------------------
# one N, and the table

def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def arrangement(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """(server cores, client cores): with ``pin`` and at least two cores, the server on the first and the clients
    on the others; otherwise both unpinned (the clients niced)."""
    cores = sorted(os.sched_getaffinity(0))
    if not pin or len(cores) < 2:
        return None, None
    return {cores[0]}, set(cores[1:])


def load_run(n: int, query: str = LINK, distinct: bool = False, kind: str = "protocol", pin: bool = False,
             timeout_s: float = 600.0, log_dir: Path | None = None, think: float = 0.0) -> dict:
    """N concurrent sessions against a fresh, warmed server (its worker pool started and quiet), each pressing
    Unlearn ``think`` seconds after its click; the summary of that run."""
    if kind not in CLIENTS:
        raise ValueError(f"unknown client {kind!r}; choose one of {', '.join(CLIENTS)}")
    if kind == "browser" and not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium)")
    server_cores, client_cores = arrangement(pin)
    log_dir = log_dir or Path("/tmp/explorer-load")
    with serve_app(log_dir / f"streamlit-{n}.log", cores=server_cores) as (url, proc):
        with Sampler(proc.pid) as warm:
            # Twice: the pool warms its workers in the background, so the first warm-up's Unlearn runs in the server's
            # own thread, and the first Unlearn through the pool pays first-use costs there (about 0.2 CPU-s).
            warmups = []
            for k in range(WARMUPS):
                warmups += run_clients("protocol", url, query, [Pick(k, distinct, warmup_of=n)], timeout_s, client_cores)
                settle(proc.pid)
            warmup = {"ok": all(w["ok"] for w in warmups), "errors": [e for w in warmups for e in w["errors"]]}
        load_before = os.getloadavg()[0]
        picks = [Pick(i, distinct, think=think) for i in range(n)]
        with Sampler(proc.pid, os.getpid()) as sampler:
            started = time.perf_counter()
            results = run_clients(kind, url, query, picks, timeout_s, client_cores)
            wall = time.perf_counter() - started
        idle_mb = rss_mb(proc.pid)
    ok = [r for r in results if r["ok"]]
    clicks = [r["click_seconds"] for r in ok]
    opens = [r["open_seconds"] for r in results if "open_seconds" in r]
    errors = [e for r in results for e in r["errors"]]
    server_cpu = sampler.server_cpu.total
    return {"sessions": n, "client": kind, "pinned": server_cores is not None, "distinct_points": distinct,
            "think_seconds": think,
            "points": sorted({r["point"] for r in results if "point" in r}),
            "ok": len(ok), "errors": len(results) - len(ok), "error_samples": errors[:5] + warmup["errors"][:1],
            "click_p50": percentile(clicks, 50), "click_p95": percentile(clicks, 95),
            "click_max": max(clicks) if clicks else None,
            "open_p50": percentile(opens, 50), "open_p95": percentile(opens, 95),
            "server_peak_mb": round(max(sampler.peak, warm.peak), 1), "server_after_mb": round(idle_mb, 1),
            "wall_seconds": round(wall, 1), "server_cpu_seconds": round(server_cpu, 2),
            "server_cpu_seconds_per_session": round(server_cpu / n, 3),
            "pool_cpu_seconds": round(server_cpu - sampler.server_cpu.of(proc.pid), 2),
            "client_cpu_seconds": round(sampler.client_cpu.total, 1),
            "warmup_cpu_seconds": round(warm.server_cpu.total, 2), "warmup_ok": warmup["ok"],
            "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)}


def run_load(counts, query: str = LINK, distinct: bool = False, kind: str = "protocol", pin: bool = False,
             timeout_s: float = 600.0, progress=None, think: float = 0.0) -> dict:
    rows = []
    for n in counts:
        if progress:
            progress(f"{n} session(s)…")
        rows.append(load_run(n, query, distinct, kind, pin, timeout_s, think=think))
        if progress:
            progress(format_row(rows[-1]) + "  " + json.dumps({k: v for k, v in rows[-1].items()
                                                               if k not in ("error_samples", "points")}))
    return {"machine": machine(), "date": date.today().isoformat(), "link": f"/?{query}" if query else "/",
            "point": POINT, "distinct_points": distinct, "client": kind, "pinned": pin, "think_seconds": think,
            "rows": rows}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} × {cpu}, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def _s(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_row(r: dict) -> str:
    return (f"| {r['sessions']} | {_s(r['click_p50'])} | {_s(r['click_p95'])} | {_s(r['open_p50'])} | "
            f"{_s(r['open_p95'])} | {r['errors']} | {r['server_peak_mb']:.0f} | "
            f"{r.get('server_cpu_seconds_per_session', float('nan')):.2f} | {r.get('load_average_before', '-')} |")


def format_table(result: dict) -> str:
    head = ("| sessions | Unlearn → playable animation p50 (s) | p95 (s) | open link → editor p50 (s) | p95 (s) "
            "| errors | server peak RSS (MB) | server CPU-s per session | load average before |\n"
            "|---|---|---|---|---|---|---|---|---|")
    lines = [head, *(format_row(r) for r in result["rows"])]
    for r in result["rows"]:
        if "server_cpu_seconds" in r:
            lines.append(f"\n{r['sessions']} sessions: {r['wall_seconds']:.0f} s wall; the server used "
                         f"{r['server_cpu_seconds']:.1f} CPU-s ({r.get('pool_cpu_seconds', 0):.1f} of them in its worker pool; "
                         f"{r['warmup_cpu_seconds']:.1f} more to warm up), the "
                         f"clients ({r['client']}) {r['client_cpu_seconds']:.0f} CPU-s; load average "
                         f"{r['load_average_before']:.1f} before, {r['load_average_after']:.1f} after.")
    pinned = "server pinned to one core, clients to the others" if result.get("pinned") else "nothing pinned"
    points = "each session a different point" if result.get("distinct_points") else f"training point {result['point']}"
    if result.get("think_seconds"):
        points += f", Unlearn pressed {result['think_seconds']:g} s after the click"
    lines.append(f"\n{result['machine']}; {result['date']}; link {result['link']}, {points}; clients: "
                 f"{result.get('client', 'browser')} at nice 19{' and SCHED_IDLE' if result.get('client') == 'browser' else ''}, "
                 f"{pinned}.")
    for r in result["rows"]:
        for e in r["error_samples"]:
            lines.append(f"{r['sessions']} sessions: {e}")
    return "\n".join(lines)
