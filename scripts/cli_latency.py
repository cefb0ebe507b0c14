"""How long the command line takes to answer without doing any work: CPU seconds (user + system, from process
start to exit) of ``python -m explorer run --help`` and of a value its declaration refuses (``--sigma inf``),
against a bare ``python -c pass``. The target is at most 1 CPU-second each; CPU time, unlike wall time,
barely moves with other processes' load, but the load average is printed with the numbers.

    python scripts/cli_latency.py [--repeats 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "run --help": [sys.executable, "-m", "explorer", "run", "--help"],
    "run --sigma inf": [sys.executable, "-m", "explorer", "run", "--forget-ids", "1", "--sigma", "inf"],
    "run --passes 1e9": [sys.executable, "-m", "explorer", "run", "--forget-ids", "1", "--passes", "1e9"],
}
TARGET = 1.0


def cpu_seconds(argv: list[str]) -> tuple[float, int]:
    """(user + system CPU seconds of one child process, its exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs; {args.repeats} runs each")
    result, ok = {"load_average": load, "repeats": args.repeats, "cases": {}}, True
    for name, argv in CASES.items():
        runs = [cpu_seconds(argv) for _ in range(args.repeats)]
        seconds = [s for s, _ in runs]
        worst = max(seconds)
        gated = name != "python -c pass"
        ok = ok and (worst <= TARGET or not gated)
        result["cases"][name] = {"median_cpu_s": statistics.median(seconds), "max_cpu_s": worst,
                                 "exit_codes": sorted({rc for _, rc in runs})}
        print(f"{name:<20} median {statistics.median(seconds):.3f} CPU-s, max {worst:.3f} CPU-s, "
              f"exit {sorted({rc for _, rc in runs})}" + (f"  {'ok' if worst <= TARGET else 'OVER'} (<= {TARGET} s)"
                                                          if gated else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
