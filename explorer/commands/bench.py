"""``python -m explorer bench`` once its command line has parsed and its counts are checked: the engine's and the
app's benchmarks, the budget or memory report, or the classroom load benchmark."""
from __future__ import annotations

import json
import sys
from importlib import import_module

from explorer.bench.engine import format_table, run_all
from explorer.bench.budget import budget_benchmark, format_table as budget_table
from explorer.bench.load import format_table as load_table, run_load
from explorer.bench.memory import format_table as memory_table, memory_benchmark
from explorer.cli.common import checked_out, ints, one_line_text, write_out
from explorer.config.errors import ScenarioError
from explorer.engine.device import pick_device


def command(args) -> int:
    if args.load is not None:
        return load_command(args)
    if args.budget or args.memory:
        return report_command(args)
    try:
        pick_device(args.device)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    checked_out(args.out)
    if args.only:
        module = import_module(f"explorer.bench.{args.only}")  # the benchmark the flag names
        result = {args.only: getattr(module, f"{args.only}_benchmark")()}
        write_out(args.out, json.dumps(result, indent=2))
        print("\n".join(module.format_rows(result[args.only])))
        return 0
    result = run_all(repeats=args.repeats, device=args.device)
    write_out(args.out, json.dumps(result, indent=2))
    print(format_table(result))
    return 0


def report_command(args) -> int:
    """``bench --budget`` (explorer/bench/budget.py) or ``bench --memory`` (explorer/bench/memory.py): the
    README's table on stdout, JSON in --out."""
    out = checked_out(args.out)
    benchmark, format_table = (budget_benchmark, budget_table) if args.budget else (memory_benchmark, memory_table)
    result = benchmark(progress=lambda m: print(m, file=sys.stderr))
    print(format_table(result))
    write_out(out, json.dumps(result, indent=2))
    return 0


def load_command(args) -> int:
    """``bench --load N[,N...]``: each N against a fresh server; the README's table on stdout, JSON in --out."""
    out = checked_out(args.out)
    try:
        result = run_load(ints(args.load, "--load"), distinct=args.distinct_points, kind=args.client, pin=args.pin,
                          timeout_s=args.load_timeout, progress=lambda m: print(m, file=sys.stderr),
                          think=args.think)
    except RuntimeError as err:  # no Chromium, no playwright, a server that never started
        raise ScenarioError(one_line_text(err)) from None
    print(load_table(result))
    write_out(out, json.dumps(result, indent=2))
    return 0
