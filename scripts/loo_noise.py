"""Is a toy's leave-one-out change what the point carries, or training noise? Measures, for the atlas's scenario:

* the grid change of the model retrained with *every* point from other training seeds (1-4) against the original
  (train seed 0): the change a new seed makes without removing anything;
* the leave-one-out change of every training point at train seed 0 and at train seed 1 (two atlases), and the
  rank correlation of the two per point: a point whose removal matters because of what it carries should matter
  under either seed.

    python scripts/loo_noise.py [--dataset moons]
"""
import argparse
from dataclasses import replace

import numpy as np
import torch
from scipy.stats import spearmanr

from explorer import pipeline
from explorer.config.scenario import default_scenario
from explorer.engine.models import predict_proba
from explorer.studies.atlas import compute_atlas


def main(dataset: str) -> None:
    torch.set_num_threads(1)
    base = default_scenario(dataset)
    seeded = {k: replace(base, train=replace(base.train, seed=k)) for k in range(5)}
    trained = {k: pipeline.train_original(sc) for k, sc in seeded.items()}
    grid = trained[0].eval_inputs
    labels = {k: predict_proba(t.model, grid).argmax(1) for k, t in trained.items()}
    seed_change = np.array([(labels[k] != labels[0]).mean() for k in range(1, 5)])
    print(f"{dataset}: retrained with every point from train seeds 1-4, grid change vs seed 0: "
          + ", ".join(f"{100 * c:.1f} %" for c in seed_change) + f" (mean {100 * seed_change.mean():.1f} %)")
    loo = {}
    for k in (0, 1):
        loo[k] = compute_atlas(seeded[k], trained=trained[k], backend="serial").column("loo_boundary_change")
        print(f"train seed {k}: leave-one-out change mean {100 * loo[k].mean():.1f} %, max {100 * loo[k].max():.1f} %")
    rho, p = spearmanr(loo[0], loo[1])
    print(f"per point, leave-one-out change at seed 0 vs seed 1: Spearman rho {rho:+.2f} (p {p:.2g}); "
          f"points whose removal changes more than a new seed does on average: "
          f"{int((loo[0] > seed_change.mean()).sum())} of {len(loo[0])}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="moons")
    main(parser.parse_args().dataset)
