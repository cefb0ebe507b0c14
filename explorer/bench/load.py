"""A classroom's load: N students open the same shared link at once, click a point and press Unlearn.

``python -m explorer bench --load 1,10,30`` starts a real ``streamlit run app.py`` server (headless, a free
port, no file watcher) for each N, opens N concurrent sessions in one headless Chromium (one browser
context each, so each is its own Streamlit session), and in every session: opens the link, waits for the
forget-set editor, clicks the same training point, presses Unlearn and waits until the animation is on the
page and playable (its step slider drawn, the script idle). Per N it reports p50/p95 seconds from pressing
Unlearn to the playable animation, p50/p95 seconds from opening the link to the editor, the sessions that
failed (an exception, a timeout, an error line on the page, a browser page error), and the server's peak
resident memory (the streamlit process and its children, sampled from /proc every 0.1 s).

The sessions share one scenario, so they share the trained original and the retrain reference for the same
forget set through explorer/ui/cache.py (one session computes, the others wait for it). Chromium runs on
the same machine as the server, as it would not in a classroom: its CPU time is part of what is measured.
"""
from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import threading
import time
from datetime import date
from pathlib import Path

from explorer.bench.browser import CHROMIUM, CHROMIUM_ARGS, IDLE, serve_app

LINK = ""  # the default scenario (moons, 400 samples, the calibrated JiT): what a teacher shares first
POINT = 10  # the training point every session clicks (the same forget set: one shared retrain reference)
EDITOR = '[data-testid="stPlotlyChart"]'
TARGETS = {10: 5.0, 30: 15.0}  # p95 seconds, click to animation
MEMORY_TARGET_MB = 2048


# ----------------------------------------------------------------------------------------------
# the server's memory

def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def _cpu_seconds(pids) -> float:
    """User + system CPU seconds of the processes ``pids`` (and of their finished, waited-for children)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15]) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _browser_pids() -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"chromium" in f.read().split(b"\0", 1)[0]:
                        out.append(int(entry))
            except OSError:
                continue
    return out


def _rss_mb(pid: int) -> float:
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


class PeakMemory:
    """Samples a process tree's resident memory in a thread (``peak`` in MB) and, on the way, the CPU seconds
    of that tree and of every Chromium process (``browser_cpu``: the browsers' last reading before they end)."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every, self.peak, self._stop = pid, every, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.browser_cpu: dict[int, float] = {}

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb(self.pid))
            if tick % 10 == 0:
                for p in _browser_pids():
                    self.browser_cpu[p] = max(self.browser_cpu.get(p, 0.0), _cpu_seconds([p]))
            tick += 1
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ----------------------------------------------------------------------------------------------
# one session

async def _idle(page, timeout_ms: float) -> None:
    await page.wait_for_function(IDLE, timeout=timeout_ms)


async def session(browser, url: str, query: str, point: int, timeout_s: float) -> dict:
    """One student: open the link, click ``point``, press Unlearn, wait for the playable animation."""
    ms = timeout_s * 1000
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    out: dict = {"ok": False}
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/?{query}", timeout=ms)
        await page.get_by_text(re.compile(r"Forget set: \d+ points?")).wait_for(timeout=ms)
        await _idle(page, ms)
        points = page.locator(EDITOR).first.locator("g.scatterlayer path.point")
        await points.nth(point).wait_for(timeout=ms)
        out["open_seconds"] = time.perf_counter() - start
        box = await points.nth(point).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await page.mouse.move(x, y)
        await page.locator(EDITOR).first.locator("g.hoverlayer g.hovertext").first.wait_for(timeout=ms)
        clicked = time.perf_counter()
        await page.mouse.click(x, y)
        await page.get_by_text(re.compile(r"^Forget set: 1 points?$")).wait_for(timeout=ms)
        await _idle(page, ms)
        pressed = time.perf_counter()
        await page.get_by_role("button", name="Unlearn").click(timeout=ms)
        await page.get_by_text("How the boundary moves under").wait_for(timeout=ms)
        await _idle(page, ms)
        player = page.locator(EDITOR).nth(1)
        await player.locator("g.slider-container text.slider-label").first.wait_for(timeout=ms)
        await player.locator("g.updatemenu-button").first.wait_for(timeout=ms)  # ▶ Play is drawn
        done = time.perf_counter()
        out.update(click_seconds=done - pressed, point_to_animation_seconds=done - clicked)
        alerts = await page.locator('[data-testid="stAlertContentError"]').all_text_contents()
        if alerts:
            errors.append("error on the page: " + alerts[0][:200])
        out["ok"] = not errors
    except Exception as err:  # noqa: BLE001 - a session's failure is a finding, counted and kept
        errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
    finally:
        out["errors"] = errors
        await context.close()
    return out


async def _sessions(url: str, n: int, query: str, point: int, timeout_s: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(session(browser, url, query, point, timeout_s) for _ in range(n)))
        finally:
            await browser.close()


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


def load_run(n: int, query: str = LINK, point: int = POINT, timeout_s: float = 600.0,
             log_dir: Path | None = None) -> dict:
    """N concurrent sessions against a fresh server; the summary of that run."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium)")
    log_dir = log_dir or Path("/tmp/explorer-load")
    with serve_app(log_dir / f"streamlit-{n}.log") as (url, proc):
        load_before = os.getloadavg()[0]
        server_cpu = _cpu_seconds(_tree(proc.pid))
        before = set(_browser_pids())
        with PeakMemory(proc.pid) as memory:
            started = time.perf_counter()
            results = asyncio.run(_sessions(url, n, query, point, timeout_s))
            wall = time.perf_counter() - started
        server_cpu = _cpu_seconds(_tree(proc.pid)) - server_cpu
        browser_cpu = sum(v for p, v in memory.browser_cpu.items() if p not in before)
        idle_mb = _rss_mb(proc.pid)
    ok = [r for r in results if r["ok"]]
    clicks = [r["click_seconds"] for r in ok]
    opens = [r["open_seconds"] for r in results if "open_seconds" in r]
    errors = [e for r in results for e in r["errors"]]
    return {"sessions": n, "ok": len(ok), "errors": len(results) - len(ok), "error_samples": errors[:5],
            "click_p50": percentile(clicks, 50), "click_p95": percentile(clicks, 95),
            "click_max": max(clicks) if clicks else None,
            "open_p50": percentile(opens, 50), "open_p95": percentile(opens, 95),
            "server_peak_mb": round(memory.peak, 1), "server_after_mb": round(idle_mb, 1),
            "wall_seconds": round(wall, 1), "server_cpu_seconds": round(server_cpu, 1),
            "browser_cpu_seconds": round(browser_cpu, 1), "load_average_before": round(load_before, 1),
            "load_average_after": round(os.getloadavg()[0], 1)}


def run_load(counts, query: str = LINK, timeout_s: float = 600.0, progress=None) -> dict:
    rows = []
    for n in counts:
        if progress:
            progress(f"{n} session(s)…")
        rows.append(load_run(n, query, timeout_s=timeout_s))
        if progress:
            progress(format_row(rows[-1]) + "  " + json.dumps({k: v for k, v in rows[-1].items()
                                                               if k not in ("error_samples",)}))
    return {"machine": machine(), "date": date.today().isoformat(), "link": f"/?{query}" if query else "/",
            "point": POINT, "rows": rows}


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
            f"{_s(r['open_p95'])} | {r['errors']} | {r['server_peak_mb']:.0f} |")


def format_table(result: dict) -> str:
    head = ("| sessions | Unlearn → playable animation p50 (s) | p95 (s) | open link → editor p50 (s) | p95 (s) "
            "| errors | server peak RSS (MB) |\n|---|---|---|---|---|---|---|")
    lines = [head, *(format_row(r) for r in result["rows"])]
    for r in result["rows"]:
        if "server_cpu_seconds" in r:
            lines.append(f"\n{r['sessions']} sessions: {r['wall_seconds']:.0f} s wall; the server used "
                         f"{r['server_cpu_seconds']:.0f} CPU-s, Chromium {r['browser_cpu_seconds']:.0f} CPU-s; "
                         f"load average {r['load_average_before']:.1f} before, {r['load_average_after']:.1f} after.")
    lines.append(f"\n{result['machine']}; {result['date']}; link {result['link']}, every session clicks training "
                 f"point {result['point']}.")
    for r in result["rows"]:
        for e in r["error_samples"]:
            lines.append(f"{r['sessions']} sessions: {e}")
    return "\n".join(lines)
