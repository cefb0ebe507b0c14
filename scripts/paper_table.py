"""Regenerate the README's "Against the paper's tables" table: the digits CNN forgetting class 3 and a random 5 %,
each baseline at its JiT-repository preset and JiT at the paper's VGG settings, mean over seeds 0-2 (the seed draws
the random forget set and each method's noise and batch order; the data and the original model stay the same).

    python scripts/paper_table.py [--seeds 3]

Every method runs through the one run path (``explorer.pipeline.run``), measured only at its end.
"""
import argparse
import statistics
from dataclasses import replace

import torch

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario

KEYS = ("paper_forget_acc", "paper_retain_acc", "mia", "mia_efficacy", "forget_acc", "retain_acc")
SETTINGS = {
    "class 3": (ForgetSpec(forget_class=3), {"finetune": "jit-repo", "random_labels": "jit-repo",
                                              "bad_teacher": "jit-repo", "ssd": "jit-repo-full-class",
                                              "unsir": "jit-repo", "emmn": "jit-repo", "scrub": "jit-repo-full-class",
                                              "jit": "paper-vgg-full-class"}),
    "random 5 %": (ForgetSpec(random_fraction=0.05), {"finetune": "jit-repo", "random_labels": "jit-repo",
                                                      "bad_teacher": "jit-repo", "ssd": "jit-repo-vgg-random",
                                                      "scrub": "jit-repo-random", "jit": "paper-vgg-random"}),
}


def table(seeds: int) -> None:
    torch.set_num_threads(1)
    base = default_scenario("digits")
    trained = pipeline.train_original(base)
    print("| forget set | model | " + " | ".join(KEYS) + " |")
    print("|---|---|" + "---|" * len(KEYS))
    for label, (spec, presets) in SETTINGS.items():
        methods = list(presets)
        rows: dict[str, list[dict]] = {"original": [], "retrain": [], **{m: [] for m in methods}}
        for seed in range(seeds):
            scenario = replace(base, seed=seed, forget=spec, method=methods[0], compare=tuple(methods[1:]),
                               presets=dict(presets), record_every=100000)
            out = pipeline.run(scenario, trained=trained)
            assert not out.refused, out.refused
            rows["original"].append(out.references["original"])
            rows["retrain"].append(out.references["retrain"])
            for m in methods:
                rows[m].append(out.results[m].final_metrics)
        for model, values in rows.items():
            name = f"`{model}` (`{presets[model]}`)" if model in presets else model
            cells = [f"{statistics.mean(v[k] for v in values):.3f}" for k in KEYS]
            print(f"| {label} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    table(parser.parse_args().seeds)
