"""Numbers over training seeds: each metric's mean, standard deviation and 95 % interval with every seed's
value, and the noise floor — how much equally valid retrained models (different training seeds, the same
data and forget set) disagree with each other."""
from __future__ import annotations

import itertools

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def summary(values) -> dict:
    """``{"mean", "std", "ci95": [low, high], "values"}`` of one metric over seeds: the sample standard deviation
    and the two-sided 95 % Student-t interval of the mean (None for both with one seed; NaN values left out)."""
    values = [None if v is None or not np.isfinite(v) else float(v) for v in values]
    finite = np.array([v for v in values if v is not None], dtype=float)
    out = {"mean": float(finite.mean()) if len(finite) else None, "std": None, "ci95": None, "values": values}
    if len(finite) >= 2:
        std = float(finite.std(ddof=1))
        half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(finite) - 1)) * std / np.sqrt(len(finite))
        out.update(std=std, ci95=[out["mean"] - half, out["mean"] + half])
    return out


def spread(per_seed: list[dict[str, float]]) -> dict[str, dict]:
    """:func:`summary` of every metric of a model's per-seed metrics."""
    names = list(dict.fromkeys(name for metrics in per_seed for name in metrics))
    return {name: summary([m.get(name) for m in per_seed]) for name in names}


def means(per_seed: list[dict[str, float]]) -> dict[str, float]:
    """Each metric's mean over seeds (NaN where no seed has a finite value)."""
    out = {}
    for name, s in spread(per_seed).items():
        out[name] = s["mean"] if s["mean"] is not None else float("nan")
    return out


def pairwise_agreement(labels: np.ndarray) -> dict:
    """Share of evaluation points two models label alike, over every pair of the K models ((K, n) labels):
    mean, min, max and the number of pairs (None with one model)."""
    labels = np.asarray(labels)
    values = [float((labels[i] == labels[j]).mean()) for i, j in itertools.combinations(range(len(labels)), 2)]
    if not values:
        return {"mean": None, "min": None, "max": None, "pairs": 0}
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values)),
            "pairs": len(values)}


def noise_floor(retrain_labels: np.ndarray, retrain_forget_acc, original_labels: np.ndarray | None = None) -> dict:
    """The training noise a run is judged against: agreement between retrained models of different seeds on the
    evaluation points (and between originals), and the spread of the retrained models' forget accuracy."""
    out = {"retrain_agreement": pairwise_agreement(retrain_labels),
           "retrain_forget_acc": {k: v for k, v in summary(retrain_forget_acc).items()}}
    accs = [v for v in out["retrain_forget_acc"]["values"] if v is not None]
    out["retrain_forget_acc"]["range"] = [min(accs), max(accs)] if accs else None
    if original_labels is not None:
        out["original_agreement"] = pairwise_agreement(original_labels)
    return out
