"""The atlas of a 2D scenario: for every training point, what removing it does and what a method does.

Per training point i (:func:`compute_atlas`):

* ``alpha``: the paper's information score α(x_i) (Definition 4.2; low = carries information the rest of
  the data does not), at :func:`explorer.measures.metrics.default_radius`;
* ``lipschitz``: the original model's local Lipschitz estimate at x_i (the scenario's probe: σ and output
  space of ``forget_lipschitz``);
* ``loo_boundary_change``: the ground-truth influence of i, the share of the evaluation grid whose label
  the model retrained without i (same initial weights and recipe) gives differently from the original;
  ``loo_agreement`` = 1 − that;
* ``method_boundary_change``, ``method_agreement_with_loo``, ``method_test_drop``: the method (JiT by
  default) forgetting i alone, against the original, the leave-one-out model and the original's test
  accuracy.

Spearman's ρ (with its p-value) of α, of the Lipschitz estimate and of the method's boundary change
against the leave-one-out influence tests the paper's claim on the whole training set at once: low-α,
high-Lipschitz points should be the ones whose removal changes the model (ρ < 0 for α, > 0 for the
Lipschitz estimate), and a method that changes the model where retraining would has ρ > 0. α and the
Lipschitz estimate against the method's own boundary change show where the method acts.

Each point is a cell of the study primitive (:func:`explorer.studies.study.run_cells`): the leave-one-out model
is the cell's retrain reference, so the leave-one-out models of a chunk train as one stack
(:func:`explorer.engine.batched.train_many`) and JiT runs as one vectorised loop per chunk
(:func:`explorer.unlearning.jit_stack.jit_many`); another method runs one point at a time. Chunks of points are
jobs of :mod:`explorer.studies.runner` (in-process, a process pool or Ray); every model is the same whichever
chunk or backend trains it. ``offset`` computes the atlas of another training seed on the same data (the
leave-one-out of that seed's initial weights and batch order). :func:`closer` judges, with the verdict's rule,
whether the method ends closer to the leave-one-out models than the untouched original.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from explorer.config.scenario import Scenario, ScenarioError
from explorer.measures.verdict import judge_movement
from explorer.stages import _clean, seed_scenario
from explorer.studies.study import Cell, Measures, run_cells

FIELDS = ("id", "x", "label", "alpha", "lipschitz", "loo_boundary_change", "method_boundary_change",
          "method_agreement_with_loo", "method_test_drop")
# What the page colours the training set by, and how each quantity is labelled.
QUANTITIES = {
    "loo_boundary_change": "Leave-one-out influence (boundary change when retrained without the point)",
    "method_boundary_change": "Method influence (boundary change when the method forgets the point)",
    "alpha": "α(x): share of neighbours with the same label (low = informative)",
    "lipschitz": "Local Lipschitz estimate of the original at the point",
    "method_agreement_with_loo": "Agreement of the method's model with the leave-one-out model",
    "method_test_drop": "Test accuracy lost by the method",
}
PAIRS = {"alpha_vs_loo": ("alpha", "loo_boundary_change"),
         "lipschitz_vs_loo": ("lipschitz", "loo_boundary_change"),
         "method_vs_loo": ("method_boundary_change", "loo_boundary_change"),
         # does the method move the model where the paper's information measures say it matters?
         "alpha_vs_method": ("alpha", "method_boundary_change"),
         "lipschitz_vs_method": ("lipschitz", "method_boundary_change")}
# What each cell keeps: the final models' boundary change, agreement with the cell's retrain reference (the
# leave-one-out model) and test accuracy; nothing per step.
MEASURES = Measures(final=("boundary_change", "agreement_with_retrain", "test_acc"), steps=())
CHUNK = 25  # points per job: progress in steps of this size; the stacks stay efficient
MAX_POINTS = 2000

Progress = Callable[[str, float], None]


@dataclass
class Atlas:
    scenario: Scenario
    method: str
    points: list[dict]
    spearman: dict[str, dict[str, float | None]]
    seconds: float
    backend: str = "serial"
    workers: int = 1
    # the method against the original, paired over the points, by the verdict's rule (:func:`closer`)
    closer: dict | None = None

    def column(self, name: str) -> np.ndarray:
        return np.array([p[name] for p in self.points], dtype=float)

    def to_dict(self) -> dict:
        return _clean({"scenario": self.scenario.to_dict(), "method": self.method, "points": self.points,
                       "spearman": self.spearman, "seconds": self.seconds, "backend": self.backend,
                       "workers": self.workers, "closer": self.closer})

    @classmethod
    def from_dict(cls, raw: dict) -> "Atlas":
        return cls(Scenario.from_dict(raw["scenario"]), raw["method"], raw["points"], raw["spearman"],
                   raw["seconds"], raw.get("backend", "serial"), raw.get("workers", 1), raw.get("closer"))


def spearman(a, b) -> dict[str, float | None]:
    """Spearman's ρ and its two-sided p-value; None for both where it is undefined (a constant column)."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return {"rho": None, "p": None, "n": int(ok.sum())}
    rho, p = spearmanr(a[ok], b[ok])
    return {"rho": float(rho), "p": float(p), "n": int(ok.sum())}


def spearman_table(points: list[dict]) -> dict[str, dict]:
    return {name: spearman([p[a] for p in points], [p[b] for p in points]) for name, (a, b) in PAIRS.items()}


def check(scenario: Scenario, method: str) -> None:
    """Cheap checks before any work: a 2D dataset, a known method that can forget one point."""
    from explorer import pipeline
    from explorer.unlearning.base import get_method

    pipeline.validate(replace(scenario, method=method, compare=()))
    data = pipeline.load_data(scenario)
    if not data.is_2d:
        raise ScenarioError(f"the atlas is for the 2D toys; {scenario.dataset.name!r} is not one")
    if len(data.x_train) > MAX_POINTS:
        raise ScenarioError(f"the atlas of {len(data.x_train)} training points is too large; keep it to {MAX_POINTS}")
    try:
        spec = get_method(method)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    if scenario.seeds > 1:
        raise ScenarioError("the atlas is computed for one training seed at a time; use seeds 1 (another seed: "
                            "--seed, or compute_atlas(offset=k))")
    if method == "retrain":
        raise ScenarioError("the atlas always retrains without each point; choose a method to compare with it")
    if spec.access.class_level_only:
        raise ScenarioError(f"{method} only forgets whole classes; the atlas forgets one point at a time")


def compute_atlas(scenario: Scenario, trained=None, progress: Progress | None = None, *, method: str | None = None,
                  backend: str = "auto", workers: int | None = None, address: str | None = None,
                  ids=None, chunk: int = CHUNK, offset: int = 0) -> Atlas:
    """The atlas of ``scenario`` (every training point, or ``ids``), with ``method`` (default: the
    scenario's) as the method; jobs of ``chunk`` points on the runner's ``backend``. ``offset`` k: the
    leave-one-out models and the original of training seed ``train.seed + k`` (and method seed ``seed + k``),
    the same data; ``trained``, when given, is that seed's original."""
    from explorer import pipeline
    from explorer.measures.evaluation import local_lipschitz
    from explorer.measures.metrics import default_radius, information_score

    method = method or scenario.method
    check(scenario, method)
    start = time.perf_counter()
    trained = trained or pipeline.train_original(seed_scenario(scenario, offset), progress)
    data = trained.data
    n = len(data.x_train)
    ids = list(range(n)) if ids is None else sorted(set(int(i) for i in ids))
    if not ids or not all(0 <= i < n for i in ids):
        raise ScenarioError(f"atlas ids must be training ids 0..{n - 1}")
    alpha = information_score(data.x_train, data.y_train, default_radius(data.x_train))
    with torch.no_grad():
        lipschitz = local_lipschitz(trained.model, data.x_train, scenario.lipschitz_sigma, scenario.lipschitz_space,
                                    seed=scenario.seed, device=trained.device)
    cells = [Cell(scenario, (i,), method, offset=offset, key=i) for i in ids]
    report = (lambda done, total: progress("leave-one-out retraining and unlearning, point by point",
                                           done / total)) if progress else None
    info: dict = {}
    given = {cells[0].original_key: trained} if offset == 0 else {}
    results = run_cells(cells, MEASURES, backend=backend, workers=workers, progress=report, address=address,
                        chunk=max(1, chunk), trained=given, info=info)
    points = []
    for r in results:
        if r.error:
            raise r.exception
        i = r.cell.key
        points.append({"id": i, "x": [float(v) for v in data.x_train[i]], "label": int(data.y_train[i]),
                       "alpha": float(alpha[i]), "lipschitz": float(lipschitz[i]),
                       "loo_boundary_change": r.retrain["boundary_change"],
                       "method_boundary_change": r.metrics["boundary_change"],
                       "method_agreement_with_loo": r.metrics["agreement_with_retrain"],
                       "method_test_drop": r.original["test_acc"] - r.metrics["test_acc"]})
    return Atlas(scenario, method, points, spearman_table(points), time.perf_counter() - start,
                 info.get("backend", backend), info.get("workers", 1), closer(points))


def closer(points: list[dict]) -> dict:
    """Did the method end closer to each point's leave-one-out model than the untouched original? The verdict's
    rule (:func:`explorer.measures.verdict.judge_movement`) on the paired differences over the points: the
    method's agreement with the leave-one-out model minus the original's (1 − the leave-one-out change)."""
    movement = judge_movement([p["method_agreement_with_loo"] - (1.0 - p["loo_boundary_change"]) for p in points])
    return {k: v for k, v in movement.to_dict().items() if k != "differences"}


def summary(atlas: Atlas) -> str:
    """A few lines for the terminal: the three Spearman values and the most influential points."""
    lines = [f"atlas of {len(atlas.points)} points ({atlas.method}) in {atlas.seconds:.1f} s on {atlas.backend}"
             f" ({atlas.workers} worker(s))"]
    for name, value in atlas.spearman.items():
        rho, p = value["rho"], value["p"]
        lines.append(f"  Spearman {name}: " + ("undefined (a constant column)" if rho is None
                                                else f"rho {rho:+.3f}, p {p:.2g}"))
    if atlas.closer and atlas.closer.get("ci95"):
        c = atlas.closer
        lines.append(f"  {atlas.method} vs the untouched original, agreement with each leave-one-out model: "
                     f"{c['judged'].replace('_', ' ')} (paired mean {c['mean']:+.4f}, 95 % interval "
                     f"{c['ci95'][0]:+.4f} to {c['ci95'][1]:+.4f}, {c['seeds']} points)")
    top = sorted(atlas.points, key=lambda p: -p["loo_boundary_change"])[:5]
    lines.append("  most influential (leave-one-out): " + ", ".join(
        f"{p['id']} ({p['loo_boundary_change']:.3f}, α {p['alpha']:.2f})" for p in top))
    return "\n".join(lines)
