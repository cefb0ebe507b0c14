"""Server memory under repeated Unlearn clicks: ``python -m explorer bench --memory``.

The app runs in this process through Streamlit's AppTest (one session, as one browser would drive it): the
heavy link of the hostile-input audit (blobs, 10 classes, a 400 x 400 grid, JiT's 30 passes: about 210 MB of
class probabilities a run) is opened, and Unlearn is pressed on one forget set after another; then the same
link with six compared methods, which the memory budget refuses before it starts. After each click: the
process's resident memory (VmRSS) and what the shared caches hold (explorer/ui/cache.py), against their bound.
"""
from __future__ import annotations

import gc
import os
from pathlib import Path

from explorer.ui import cache

APP = str(Path(__file__).resolve().parents[2] / "app.py")
HEAVY = {"ds": "blobs", "d.classes": "10", "grid": "400"}
SIX = "finetune,neggrad,scrub,greedy,random_labels,neggrad_plus"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def memory_benchmark(clicks: int = 6, progress=None) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=1800)
    for k, v in HEAVY.items():
        at.query_params[k] = v
    at.run()
    rows = [{"click": "open", "rss_mb": rss_mb(), "cached_mb": _cached_mb(), "errors": []}]
    for i in range(clicks):
        at.query_params["f"] = str(i + 1)
        at.query_params.pop("cmp", None)
        rows.append(_click(at, f"Unlearn, forget set {{{i + 1}}}"))
        if progress:
            progress(rows[-1])
    at.query_params["cmp"] = SIX
    rows.append(_click(at, "Unlearn with six compared methods"))
    if progress:
        progress(rows[-1])
    bound = sum(b for _, b, _ in cache.BOUNDS.values()) / 2**20
    return {"rows": rows, "cache_bound_mb": bound, "peak_rss_mb": max(r["rss_mb"] for r in rows),
            "load_average": os.getloadavg()}


def _click(at, label: str) -> dict:
    at.run()
    next(b for b in at.button if b.label == "Unlearn").click().run()
    gc.collect()
    return {"click": label, "rss_mb": rss_mb(), "cached_mb": _cached_mb(), "errors": [e.value for e in at.error]}


def _cached_mb() -> dict:
    return {name: round(b / 2**20, 1) for name, b in cache.cached_bytes().items()}


def format_table(result: dict) -> str:
    lines = ["| after | server RSS | shared caches (trained / retrain / result) | notice |", "|---|---|---|---|"]
    for r in result["rows"]:
        c = r["cached_mb"]
        lines.append(f"| {r['click']} | {r['rss_mb']:,.0f} MB | {c['trained']:.1f} / {c['retrain']:.1f} / "
                     f"{c['result']:.0f} MB | {'; '.join(r['errors'])[:100]} |")
    lines.append(f"cache bound {result['cache_bound_mb']:,.0f} MB; peak RSS {result['peak_rss_mb']:,.0f} MB; "
                 f"load average {' / '.join(f'{v:.2f}' for v in result['load_average'])}")
    return "\n".join(lines)
