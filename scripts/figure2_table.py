"""Regenerate the README's "What the explorer shows" table: the paper's Figure 2 setting through the
CLI, JiT with its defaults in both output spaces, over several data seeds.

    python scripts/figure2_table.py [--seeds 5]
"""
import argparse
import contextlib
import io
import json
import statistics
import tempfile
from pathlib import Path

from explorer.cli import main

TARGETS = {"high-information (-0.5, -0.5)": "-0.5,-0.5", "low-information (1.25, 2.2)": "1.25,2.2"}
KEYS = ("forget_acc", "test_acc", "boundary_change", "agreement_with_retrain")


def run(seed: int, point: str, space: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        with contextlib.redirect_stdout(io.StringIO()):  # the CLI's per-run summary table
            code = main(["run", "--dataset", "two_blobs", "--seed", str(seed), "--forget-point", point,
                         "--output-space", space, "--out", str(out)])
        assert code == 0
        return json.loads(out.read_text())["models"]


def main_table(seeds: int) -> None:
    print("| forget target | model | " + " | ".join(KEYS) + " |")
    print("|---|---|" + "---|" * len(KEYS))
    for label, point in TARGETS.items():
        rows: dict[str, list] = {"original": [], "retrain": []}
        for seed in range(seeds):
            for space in ("probs", "logits"):
                models = run(seed, point, space)  # the row names JiT as it ran: its step guard included
                rows.setdefault(f"{models['jit']['label']} ({space})", []).append(models["jit"]["metrics"])
                if space == "probs":
                    rows["original"].append(models["original"]["metrics"])
                    rows["retrain"].append(models["retrain"]["metrics"])
        for model, values in rows.items():
            cells = [f"{statistics.mean(v[k] for v in values):.3f}" for k in KEYS]
            print(f"| {label} | {model} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    main_table(parser.parse_args().seeds)
