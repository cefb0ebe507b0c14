"""Is a toy's leave-one-out change what the point carries, or training noise? Measures, for the atlas's scenario:

* the grid change of the model retrained with *every* point from other training seeds (1-4) against the original
  (train seed 0): the change a new seed makes without removing anything;
* the leave-one-out change of every training point at train seed 0 and at train seed 1, and the rank
  correlation of the two per point (the atlas's noise floor, explorer/studies/atlas.py): a point whose removal
  matters because of what it carries should matter under either seed.

    python scripts/loo_noise.py [--dataset moons]
"""
import argparse
from dataclasses import replace

import numpy as np
import torch

from explorer import pipeline
from explorer.scenarios import default_scenario
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
    # the atlas computes a second training seed's leave-one-out map beside seed 0's: its noise floor
    atlas = compute_atlas(base, trained=trained[0], backend="serial")
    loo = {k: np.array(m) for k, m in zip(atlas.seed_maps["offsets"], atlas.seed_maps["loo_boundary_change"])}
    for k in (0, 1):
        print(f"train seed {k}: leave-one-out change mean {100 * loo[k].mean():.1f} %, max {100 * loo[k].max():.1f} %")
    floor = atlas.noise_floor["loo"]
    print(f"per point, leave-one-out change at seed 0 vs seed 1 (the atlas's noise floor): Spearman rho "
          f"{floor['rho']:+.2f} (p {floor['p']:.2g}); points whose removal changes more than a new seed does on "
          f"average: {int((loo[0] > seed_change.mean()).sum())} of {len(loo[0])}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="moons")
    main(parser.parse_args().dataset)
