"""``python -m explorer bench``: the engine's and the app's benchmarks, or (``--load``) the classroom load
benchmark; JSON in ``--out``, the README's tables on stdout."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from explorer import bench
from explorer.bench.load import format_table, run_load
from explorer.cli.common import UsageError, checked_out, ints, one_line_text
from explorer.config.scenario import ScenarioError
from explorer.engine.device import pick_device


def command(args) -> int:
    if args.load is not None:
        return load_command(args)
    if args.repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {args.repeats}")
    try:
        pick_device(args.device)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    checked_out(args.out)
    result = bench.run_all(repeats=args.repeats, device=args.device)
    try:
        Path(args.out).write_text(json.dumps(result, indent=2))
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    print(bench.format_table(result))
    return 0


MAX_LOAD_SESSIONS = 100


def load_command(args) -> int:
    """``bench --load N[,N...]``: each N against a fresh server; the README's table on stdout, JSON in --out."""
    counts = ints(args.load, "--load")
    if not counts or not all(1 <= n <= MAX_LOAD_SESSIONS for n in counts):
        raise UsageError(f"--load takes session counts between 1 and {MAX_LOAD_SESSIONS}, got {args.load!r}")
    if not (math.isfinite(args.load_timeout) and 1 <= args.load_timeout <= 3600):
        raise UsageError(f"--load-timeout must be between 1 and 3600 seconds, got {args.load_timeout}")
    out = checked_out(args.out)
    try:
        result = run_load(counts, timeout_s=args.load_timeout, progress=lambda m: print(m, file=sys.stderr))
    except RuntimeError as err:  # no Chromium, no playwright, a server that never started
        raise ScenarioError(one_line_text(err)) from None
    print(format_table(result))
    try:
        out.write_text(json.dumps(result, indent=2))
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    return 0
