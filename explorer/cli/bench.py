"""``python -m explorer bench``'s command line (what it runs: :mod:`explorer.commands.bench`): the engine's and the app's benchmarks, or (``--load``) the classroom load
benchmark; JSON in ``--out``, the README's tables on stdout."""
from __future__ import annotations

import math

from explorer.cli.common import UsageError, ints, quoted
from explorer.config.echo import number

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


MAX_LOAD_SESSIONS = 100


def check(args) -> None:
    """The counts and times of the command line, before the benchmarks' modules load."""
    if not 1 <= args.repeats <= MAX_REPEATS:
        raise UsageError(f"--repeats must be between 1 and {MAX_REPEATS}, got {number(args.repeats)}")
    if args.load is not None:
        counts = ints(args.load, "--load")
        if not counts or not all(1 <= n <= MAX_LOAD_SESSIONS for n in counts):
            raise UsageError(f"--load takes session counts between 1 and {MAX_LOAD_SESSIONS}, got {quoted(args.load)}")
        if not (math.isfinite(args.load_timeout) and 1 <= args.load_timeout <= 3600):
            raise UsageError(f"--load-timeout must be between 1 and 3600 seconds, got {args.load_timeout}")
        if not (math.isfinite(args.think) and 0 <= args.think <= MAX_THINK):
            raise UsageError(f"--think must be between 0 and {MAX_THINK:g} seconds, got {number(args.think)}")
