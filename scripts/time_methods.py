"""Time every registered method (own time, without trajectory measurement) on a few scenarios and
print its final metrics next to retrain's.

Usage: python scripts/time_methods.py [--threads N] [dataset ...]   (N = torch intra-op threads)"""
from __future__ import annotations

import sys
import time

import torch

from explorer import pipeline
from explorer.bench import METHOD_CASES, method_scenario
from explorer.measures.comparison import comparison_rows

COLUMNS = ("retain_acc", "forget_acc", "test_acc", "mia", "agreement_with_retrain")


def main(names: list[str]) -> None:
    for name in names or list(METHOD_CASES):
        scenario = method_scenario(name)
        start = time.perf_counter()
        trained = pipeline.train_original(scenario)
        print(f"\n== {name}: trained in {time.perf_counter() - start:.1f}s, forget set {METHOD_CASES[name]}")
        report = pipeline.run(scenario, trained=trained).report()
        print(f"{'method':14s} {'secs':>6s} " + " ".join(f"{c[:10]:>10s}" for c in COLUMNS) + "    avg_gap")
        for row in comparison_rows(report["models"]):
            vals = " ".join(f"{row[c]:10.3f}" if row[c] is not None else f"{'-':>10s}" for c in COLUMNS)
            gap = f"{row['avg_gap']:.3f}" if row["avg_gap"] is not None else "-"
            print(f"{row['method']:14s} {row['seconds']:6.2f} {vals}    {gap}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--threads"]:
        torch.set_num_threads(int(args[1]))
        args = args[2:]
    print(f"torch threads: {torch.get_num_threads()}")
    main(args)
