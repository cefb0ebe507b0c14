"""The atlas of a 2D scenario: for every training point, what removing it does and what a method does.

Per training point i (:func:`compute_atlas`):

* ``alpha``: the paper's information score α(x_i) (Definition 4.2; low = carries information the rest of
  the data does not), at :func:`explorer.measures.functions.default_radius`;
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

Leave-one-out is itself noisy: a model retrained without point i from another training seed differs from its
own original by a change of its own. The atlas therefore also computes a second training seed's map (``offset +
1``) and reports its **noise floor** (:func:`noise_floor`): Spearman's ρ between the two seeds' leave-one-out
maps (and between the method's two maps), beside every ρ it reports. If a map is each point's influence plus
seed noise, the floor r estimates the share of its rank variation a new seed reproduces, and a predictor's |ρ|
against one such map is attenuated to at most about √r (Spearman's correction for attenuation, 1904): the
floor's ``ceiling``. With ``loo_seeds`` K > 1 every seed-dependent column is the **mean over K training seeds**
(leave-one-out averaged over seeds; from K = 4 the floor compares the means of two disjoint halves of K // 2
seeds); K = 1 keeps one seed's numbers (fixed-seed leave-one-out), exactly as before.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch
from scipy.stats import spearmanr

from explorer import pipeline
from explorer.config.scenario import Scenario, ScenarioError
from explorer.measures.evaluation import local_lipschitz
from explorer.measures.functions import default_radius, information_score
from explorer.measures.verdict import judge_movement
from explorer.stages import _clean, seed_scenario
from explorer.studies import job
from explorer.studies.study import Cell, Measures, run_cells
from explorer.unlearning.base import get_method

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
MAX_LOO_SEEDS = 8  # leave-one-out averaged over at most this many training seeds (each one a whole atlas)
# The columns that depend on the training seed (averaged when loo_seeds > 1); α is the data's alone.
SEEDED = ("lipschitz", "loo_boundary_change", "method_boundary_change", "method_agreement_with_loo",
          "method_test_drop")
# Which map's seed-to-seed ρ is the floor of each pair: the leave-one-out map's, or the method's own.
FLOOR_OF = {name: ("loo" if b == "loo_boundary_change" else "method") for name, (_, b) in PAIRS.items()}

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
    loo_seeds: int = 1  # 1: one training seed's leave-one-out; K: the mean over K training seeds
    # Spearman's ρ between two training seeds' maps (:func:`noise_floor`); None where not computed
    noise_floor: dict | None = None
    # each computed seed's map of every seeded column: {"offsets": [...], column: [[per point] per seed]}
    seed_maps: dict | None = None

    def column(self, name: str) -> np.ndarray:
        return np.array([p[name] for p in self.points], dtype=float)

    def to_dict(self) -> dict:
        return _clean({"scenario": self.scenario.to_dict(), "method": self.method, "points": self.points,
                       "spearman": self.spearman, "seconds": self.seconds, "backend": self.backend,
                       "workers": self.workers, "closer": self.closer, "loo_seeds": self.loo_seeds,
                       "noise_floor": self.noise_floor, "seed_maps": self.seed_maps})

    @classmethod
    def from_dict(cls, raw: dict) -> "Atlas":
        return cls(Scenario.from_dict(raw["scenario"]), raw["method"], raw["points"], raw["spearman"],
                   raw["seconds"], raw.get("backend", "serial"), raw.get("workers", 1), raw.get("closer"),
                   raw.get("loo_seeds", 1), raw.get("noise_floor"), raw.get("seed_maps"))


def spearman(a, b) -> dict[str, float | None]:
    """Spearman's ρ and its two-sided p-value; None for both where it is undefined (a constant column)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return {"rho": None, "p": None, "n": int(ok.sum())}
    rho, p = spearmanr(a[ok], b[ok])
    return {"rho": float(rho), "p": float(p), "n": int(ok.sum())}


def spearman_table(points: list[dict]) -> dict[str, dict]:
    return {name: spearman([p[a] for p in points], [p[b] for p in points]) for name, (a, b) in PAIRS.items()}


def check(scenario: Scenario, method: str, loo_seeds: int = 1) -> None:
    """Cheap checks before any work: a 2D dataset, a known method that can forget one point, 1..MAX_LOO_SEEDS
    leave-one-out seeds."""
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
    if isinstance(loo_seeds, bool) or not isinstance(loo_seeds, (int, np.integer)) \
            or not 1 <= loo_seeds <= MAX_LOO_SEEDS:
        raise ScenarioError(f"leave-one-out seeds must be a whole number from 1 to {MAX_LOO_SEEDS}; got {loo_seeds!r}")
    if scenario.seeds > 1:
        raise ScenarioError("the atlas takes its training seeds as leave-one-out seeds (--loo-seeds K), not seeds; "
                            "use seeds 1")
    if method == "retrain":
        raise ScenarioError("the atlas always retrains without each point; choose a method to compare with it")
    if spec.access.class_level_only:
        raise ScenarioError(f"{method} only forgets whole classes; the atlas forgets one point at a time")


def computed_seeds(loo_seeds: int = 1, floor: bool = True) -> int:
    """How many training seeds' atlases a run computes: the K averaged, at least two with the noise floor."""
    return max(loo_seeds, 2) if floor else loo_seeds


def compute_atlas(scenario: Scenario, trained=None, progress: Progress | None = None, *, method: str | None = None,
                  backend: str = "auto", workers: int | None = None, address: str | None = None,
                  ids=None, chunk: int = CHUNK, offset: int = 0, loo_seeds: int = 1, floor: bool = True) -> Atlas:
    """The atlas of ``scenario`` (every training point, or ``ids``), with ``method`` (default: the
    scenario's) as the method; jobs of ``chunk`` points on the runner's ``backend``. ``offset`` k: the
    leave-one-out models and the original of training seed ``train.seed + k`` (and method seed ``seed + k``),
    the same data; ``trained``, when given, is that seed's original. ``loo_seeds`` K: every seeded column the
    mean over training seeds ``offset .. offset + K − 1``; ``floor``: also the noise floor (a second seed's
    atlas when K = 1)."""
    method = method or scenario.method
    check(scenario, method, loo_seeds)
    start = time.perf_counter()
    trained = trained or pipeline.train_original(seed_scenario(scenario, offset), progress)
    data = trained.data
    n = len(data.x_train)
    ids = list(range(n)) if ids is None else sorted(set(int(i) for i in ids))
    if not ids or not all(0 <= i < n for i in ids):
        raise ScenarioError(f"atlas ids must be training ids 0..{n - 1}")
    offsets = [offset + k for k in range(computed_seeds(loo_seeds, floor))]
    cells = [Cell(scenario, (i,), method, offset=k, key=(k, i)) for k in offsets for i in ids]
    given = {cells[0].original_key: trained} if offset == 0 else {}
    # every other seed's original at once (one stack): its Lipschitz estimate, and no job trains it again
    given.update(job.originals([c for c in cells if c.original_key not in given]))
    models = {c.offset: trained.model if c.offset == offset else given[c.original_key].model for c in cells}
    alpha = information_score(data.x_train, data.y_train, default_radius(data.x_train))
    lipschitz = {}
    with torch.no_grad():
        for k in offsets[:loo_seeds]:
            lipschitz[k] = local_lipschitz(models[k], data.x_train,
                                           scenario.lipschitz_sigma, scenario.lipschitz_space, seed=scenario.seed,
                                           device=trained.device)
    report = (lambda done, total: progress("leave-one-out retraining and unlearning, point by point",
                                           done / total)) if progress else None
    info: dict = {}
    results = run_cells(cells, MEASURES, backend=backend, workers=workers, progress=report, address=address,
                        chunk=max(1, chunk), trained=given, info=info)
    maps: dict[str, dict[int, list[float]]] = {c: {k: [] for k in offsets} for c in SEEDED}
    for r in results:
        if r.error:
            raise r.exception
        k, i = r.cell.key
        maps["lipschitz"][k].append(float(lipschitz[k][i]) if k in lipschitz else float("nan"))
        maps["loo_boundary_change"][k].append(r.retrain["boundary_change"])
        maps["method_boundary_change"][k].append(r.metrics["boundary_change"])
        maps["method_agreement_with_loo"][k].append(r.metrics["agreement_with_retrain"])
        maps["method_test_drop"][k].append(r.original["test_acc"] - r.metrics["test_acc"])
    averaged = {c: np.mean([maps[c][k] for k in offsets[:loo_seeds]], axis=0) for c in SEEDED}
    points = [{"id": i, "x": [float(v) for v in data.x_train[i]], "label": int(data.y_train[i]),
               "alpha": float(alpha[i]), **{c: float(averaged[c][j]) for c in SEEDED}} for j, i in enumerate(ids)]
    points = [{f: p[f] for f in FIELDS} for p in points]
    floor_value = noise_floor(maps, offsets, loo_seeds) if floor else None
    table = spearman_table(points)
    if floor_value:
        for name, value in table.items():
            value["noise_floor"] = floor_value[FLOOR_OF[name]]["rho"]
            value["noise_ceiling"] = floor_value[FLOOR_OF[name]]["ceiling"]
    seed_maps = {"offsets": offsets, **{c: [maps[c][k] for k in offsets] for c in SEEDED if c != "lipschitz"}}
    return Atlas(scenario, method, points, table, time.perf_counter() - start,
                 info.get("backend", backend), info.get("workers", 1), closer(points), loo_seeds, floor_value,
                 seed_maps)


def noise_floor(maps: dict, offsets: list[int], loo_seeds: int) -> dict:
    """Spearman's ρ between two training seeds' leave-one-out maps (``loo``) and the method's two maps
    (``method``): with K ≥ 4 averaged seeds, the mean of the first K // 2 against the mean of the next K // 2
    (the averaged map's own floor, for half as many seeds); otherwise the first seed against the second. Every
    pair of single seeds' ρ is summarised too (``single_seed``: mean, min, max)."""
    half = loo_seeds // 2
    groups = ((offsets[:half], offsets[half:2 * half]) if loo_seeds >= 4 else ([offsets[0]], [offsets[1]]))
    out: dict = {"seeds": [list(g) for g in groups],
                 "of": f"mean of {half} seeds vs mean of {half} others" if loo_seeds >= 4 else "one seed vs another",
                 "single_seed": {}}
    for name, column in (("loo", "loo_boundary_change"), ("method", "method_boundary_change")):
        means = [np.mean([maps[column][k] for k in g], axis=0) for g in groups]
        out[name] = spearman(*means)
        rho = out[name]["rho"]
        out[name]["ceiling"] = None if rho is None else float(np.sqrt(max(rho, 0.0)))
        rhos = [spearman(maps[column][a], maps[column][b])["rho"] for j, a in enumerate(offsets) for b in offsets[j + 1:]]
        rhos = [r for r in rhos if r is not None]
        out["single_seed"][name] = ({"mean": float(np.mean(rhos)), "min": float(min(rhos)), "max": float(max(rhos)),
                                     "pairs": len(rhos)} if rhos else None)
    return out


def closer(points: list[dict]) -> dict:
    """Did the method end closer to each point's leave-one-out model than the untouched original? The verdict's
    rule (:func:`explorer.measures.verdict.judge_movement`) on the paired differences over the points: the
    method's agreement with the leave-one-out model minus the original's (1 − the leave-one-out change)."""
    movement = judge_movement([p["method_agreement_with_loo"] - (1.0 - p["loo_boundary_change"]) for p in points])
    return {k: v for k, v in movement.to_dict().items() if k != "differences"}


def which_loo(atlas: Atlas) -> str:
    """Which leave-one-out the atlas's numbers are: one training seed's, or the mean over several."""
    seed = atlas.scenario.train.seed
    first = seed + ((atlas.seed_maps or {}).get("offsets") or [0])[0]
    if atlas.loo_seeds == 1:
        return f"leave-one-out of training seed {first} (fixed seed)"
    return f"leave-one-out averaged over training seeds {first}-{first + atlas.loo_seeds - 1}"


def floor_text(atlas: Atlas) -> str:
    """'noise floor (...): leave-one-out maps agree with Spearman rho +0.06 (a predictor's ceiling ±0.24), ...'."""
    f = atlas.noise_floor
    if not f:
        return "noise floor not computed"
    loo, method = (f"{_signed(f[name]['rho'])} (a predictor's ceiling {_ceiling(f[name].get('ceiling'))})"
                   for name in ("loo", "method"))
    return (f"noise floor ({f['of']}, seeds {f['seeds'][0]} vs {f['seeds'][1]}): leave-one-out maps agree with "
            f"Spearman rho {loo}, the method's maps {method}")


def _signed(rho: float | None) -> str:
    return "undefined" if rho is None else f"{rho:+.2f}"


def _ceiling(value: float | None) -> str:
    return "undefined" if value is None else f"±{value:.2f}"


def summary(atlas: Atlas) -> str:
    """A few lines for the terminal: the Spearman values beside their noise floor and the most influential points."""
    lines = [f"atlas of {len(atlas.points)} points ({atlas.method}) in {atlas.seconds:.1f} s on {atlas.backend}"
             f" ({atlas.workers} worker(s)); {which_loo(atlas)}", f"  {floor_text(atlas)}"]
    for name, value in atlas.spearman.items():
        rho, p = value["rho"], value["p"]
        floor = value.get("noise_floor")
        beside = "" if "noise_floor" not in value else (
            f" (noise floor {_signed(floor)}, ceiling {_ceiling(value.get('noise_ceiling'))})")
        lines.append(f"  Spearman {name}: " + ("undefined (a constant column)" if rho is None
                                                else f"rho {rho:+.3f}, p {p:.2g}") + beside)
    if atlas.closer and atlas.closer.get("ci95"):
        c = atlas.closer
        lines.append(f"  {atlas.method} vs the untouched original, agreement with each leave-one-out model: "
                     f"{c['judged'].replace('_', ' ')} (paired mean {c['mean']:+.4f}, 95 % interval "
                     f"{c['ci95'][0]:+.4f} to {c['ci95'][1]:+.4f}, {c['seeds']} points)")
    top = sorted(atlas.points, key=lambda p: -p["loo_boundary_change"])[:5]
    lines.append("  most influential (leave-one-out): " + ", ".join(
        f"{p['id']} ({p['loo_boundary_change']:.3f}, α {p['alpha']:.2f})" for p in top))
    return "\n".join(lines)
