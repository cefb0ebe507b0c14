"""``python -m explorer bench``: the engine's and the app's benchmarks, or (``--load``) the classroom load
benchmark; JSON in ``--out``, the README's tables on stdout."""
from __future__ import annotations

import json
import math
import sys
from importlib import import_module

from explorer.cli.common import UsageError, checked_out, ints, one_line_text, quoted, write_out
from explorer.config.echo import number
from explorer.config.errors import ScenarioError

NAME = "bench"


def add_parser(sub):
    bench = sub.add_parser("bench", help="measure the JiT engine (and the app's latency) and write JSON")
    bench.add_argument("--out", default="bench.json")
    bench.add_argument("--repeats", type=int, default=7,
                       help=f"timed repetitions per measurement (median), 1 to {MAX_REPEATS}")
    bench.add_argument("--budget", action="store_true",
                       help="instead: the work budget's estimate against measured CPU time for a set of runs")
    bench.add_argument("--memory", action="store_true",
                       help="instead: the server's memory and the shared caches under repeated Unlearn clicks")
    bench.add_argument("--device", default="auto")
    bench.add_argument("--load", metavar="N[,N...]",
                       help="instead: the classroom load benchmark, N concurrent sessions against a real "
                            "`streamlit run` server (e.g. --load 1,10,30); --client browser needs /usr/bin/chromium "
                            "and playwright")
    bench.add_argument("--load-timeout", type=float, default=600.0, help="seconds one load session may take")
    bench.add_argument("--distinct-points", action="store_true",
                       help="with --load: every session forgets a different point (no two share a run)")
    bench.add_argument("--client", choices=("protocol", "browser"), default="protocol",
                       help="with --load: drive the sessions by Streamlit's websocket protocol (default) or in "
                            "headless Chromium; either way at the lowest CPU priority")
    bench.add_argument("--think", type=float, default=0.0, metavar="SECONDS",
                       help="with --load: each session presses Unlearn this long after its click (a student's way "
                            f"to the button; default 0: at once), 0 to {MAX_THINK:g}")
    bench.add_argument("--pin", action="store_true",
                       help="with --load: pin the server to the first core and the clients to the others")
    bench.add_argument("--only", choices=["audit", "fairness"],
                       help="only this benchmark (audit: 64 reference models, batched against one by one; fairness: "
                            "one session's Unlearn beside another session's long training, both in the worker pool)")
    return bench


MAX_REPEATS = 50  # a repetition of the whole engine bench takes about a minute here
MAX_THINK = 60.0  # seconds a load session may wait between its click and Unlearn


def command(args) -> int:
    if not 1 <= args.repeats <= MAX_REPEATS:
        raise UsageError(f"--repeats must be between 1 and {MAX_REPEATS}, got {number(args.repeats)}")
    if args.load is not None:
        return load_command(args)
    if args.budget or args.memory:
        return report_command(args)
    from explorer import bench
    from explorer.engine.device import pick_device

    try:
        pick_device(args.device)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    checked_out(args.out)
    if args.only:
        module = import_module(f"explorer.bench.{args.only}")
        result = {args.only: getattr(module, f"{args.only}_benchmark")()}
        write_out(args.out, json.dumps(result, indent=2))
        print("\n".join(module.format_rows(result[args.only])))
        return 0
    result = bench.run_all(repeats=args.repeats, device=args.device)
    write_out(args.out, json.dumps(result, indent=2))
    print(bench.format_table(result))
    return 0


def report_command(args) -> int:
    """``bench --budget`` (explorer/bench/budget.py) or ``bench --memory`` (explorer/bench/memory.py): the
    README's table on stdout, JSON in --out."""
    out = checked_out(args.out)
    if args.budget:
        from explorer.bench.budget import budget_benchmark as benchmark, format_table
    else:
        from explorer.bench.memory import format_table, memory_benchmark as benchmark

    result = benchmark(progress=lambda m: print(m, file=sys.stderr))
    print(format_table(result))
    write_out(out, json.dumps(result, indent=2))
    return 0


MAX_LOAD_SESSIONS = 100


def load_command(args) -> int:
    """``bench --load N[,N...]``: each N against a fresh server; the README's table on stdout, JSON in --out."""
    counts = ints(args.load, "--load")
    if not counts or not all(1 <= n <= MAX_LOAD_SESSIONS for n in counts):
        raise UsageError(f"--load takes session counts between 1 and {MAX_LOAD_SESSIONS}, got {quoted(args.load)}")
    if not (math.isfinite(args.load_timeout) and 1 <= args.load_timeout <= 3600):
        raise UsageError(f"--load-timeout must be between 1 and 3600 seconds, got {args.load_timeout}")
    if not (math.isfinite(args.think) and 0 <= args.think <= MAX_THINK):
        raise UsageError(f"--think must be between 0 and {MAX_THINK:g} seconds, got {number(args.think)}")
    out = checked_out(args.out)
    from explorer.bench.load import format_table, run_load

    try:
        result = run_load(counts, distinct=args.distinct_points, kind=args.client, pin=args.pin,
                          timeout_s=args.load_timeout, progress=lambda m: print(m, file=sys.stderr),
                          think=args.think)
    except RuntimeError as err:  # no Chromium, no playwright, a server that never started
        raise ScenarioError(one_line_text(err)) from None
    print(format_table(result))
    write_out(out, json.dumps(result, indent=2))
    return 0
