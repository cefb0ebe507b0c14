"""A run over K training seeds (``seeds`` K > 1): the original, the retrain reference and every method once
per seed, and what the report says about them.

Seed k trains with training seed ``train.seed + k`` (initial weights, batch order) and runs each method with
method seed ``seed + k`` (the method's own noise); the data and the forget set stay those of the scenario.
The cells (one per seed and method) run through the study primitive (:func:`explorer.studies.study.run_cells`),
batched where it can. The report gives every metric per model as mean, standard deviation and 95 % interval
with each seed's value (:mod:`explorer.measures.spread`), the noise floor, the direction judged against
training noise (:func:`explorer.measures.verdict.judge_movement`), and the per-point forgetting scores ε and
KLoM of each method and of the untouched original, with their floors from the retrained seeds split in two
(:mod:`explorer.measures.scores`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import nn

from explorer.config.scenario import Scenario, ScenarioError
from explorer.measures import scores as S
from explorer.measures.comparison import avg_gap, gaps
from explorer.measures.evaluation import Evaluator
from explorer.measures.spread import means, noise_floor, spread
from explorer.measures.verdict import Movement, judge_movement
from explorer.stages import MethodOutcome, Progress, Trained
from explorer.studies.study import Cell, Measures, run_cells

SETS = ("forget", "retain", "test")


@dataclass
class SeedRun:
    """Seed k of a many-seed run: its original, retrain reference, evaluator (against those two), the
    references' metrics and probes, each method's outcome, and every model's margins on the retain, forget and
    test points (``margins[model][set]``) for the per-point scores."""

    offset: int
    trained: Trained
    retrain: nn.Module
    retrain_seconds: float
    evaluator: Evaluator
    references: dict[str, dict[str, float]]
    reference_probes: dict[str, dict[str, np.ndarray]]
    results: dict[str, MethodOutcome] = field(default_factory=dict)
    margins: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def metrics(self, name: str) -> dict[str, float]:
        """The final metrics of ``name``: original, retrain or a method."""
        return self.references[name] if name in self.references else self.results[name].final_metrics


def run_seeds(scenario: Scenario, ids: list[int], methods: list[str], progress: Progress | None = None,
              trained: Trained | None = None, retrain: tuple | None = None, probes: dict | None = None,
              max_frames: int | None = None) -> tuple[list[SeedRun], dict[str, str]]:
    """Every seed's run; (seed runs, compared methods that failed -> why). ``trained`` and ``retrain``, when
    given, are seed 0's. The main method failing on any seed is the run's failure."""
    cells = [Cell(scenario, tuple(ids), name, offset=k) for k in range(scenario.seeds) for name in methods]
    given = {cells[0].original_key: trained} if trained is not None else {}
    given_retrain = {cells[0].retrain_key: retrain} if retrain is not None else {}
    measures = Measures(steps=None, probes=dict(probes or {}), margins=True, models=True, max_frames=max_frames)
    results = run_cells(cells, measures, trained=given, retrains=given_retrain, stages=progress)
    failed = {}
    for r in results:
        if r.error and r.cell.method not in failed:
            if r.cell.method == scenario.method:
                raise r.exception if r.exception is not None else ScenarioError(r.error)
            failed[r.cell.method] = r.error
    runs: dict[int, SeedRun] = {}
    for r in results:
        k = r.cell.offset
        if k not in runs:
            runs[k] = SeedRun(k, r.trained, r.retrain_model, r.retrain_seconds, r.evaluator,
                              {"original": r.original, "retrain": r.retrain}, r.reference_probes,
                              margins={name: r.margins[name] for name in ("original", "retrain")})
        if r.cell.method not in failed:
            runs[k].results[r.cell.method] = MethodOutcome(r.cell.method, r.model, r.trajectory, r.seconds, r.slices)
            runs[k].margins[r.cell.method] = r.margins["method"]
    return [runs[k] for k in sorted(runs)], failed


def movement(runs: list[SeedRun], name: str) -> Movement:
    """The direction of ``name`` against training noise: paired over seeds, agreement with each seed's retrained
    model minus the untouched original's."""
    return judge_movement([run.metrics(name).get("agreement_with_retrain", np.nan)
                           - run.references["original"].get("agreement_with_retrain", np.nan) for run in runs])


def models(runs: list[SeedRun]) -> dict[str, dict]:
    """Per model (original, retrain, each method): the mean of every metric, its spread over seeds with each
    seed's value, mean seconds, each seed's margins on the forget, retain and test points (``margins[set][k]``,
    what ε and KLoM are computed from), and for methods why seeds stopped."""
    names = ["original", "retrain", *runs[0].results]
    out = {}
    for name in names:
        per_seed = [run.metrics(name) for run in runs]
        if name == "original":
            seconds = [run.trained.history.seconds for run in runs]
        elif name == "retrain":
            seconds = [run.retrain_seconds for run in runs]
        else:
            seconds = [run.results[name].seconds for run in runs]
        entry = {"metrics": means(per_seed), "spread": spread(per_seed), "seconds": float(np.mean(seconds))}
        if all(name in run.margins for run in runs):  # what the per-point scores are computed from, per seed
            entry["margins"] = {part: [run.margins[name][part].tolist() for run in runs] for part in SETS}
        if name == "original":
            entry.update(epochs=runs[0].trained.history.epochs_run,
                         converged=all(run.trained.history.converged for run in runs),
                         epochs_per_seed=[run.trained.history.epochs_run for run in runs])
        if name not in ("original", "retrain"):
            stopped = {run.offset: run.results[name].stopped for run in runs if run.results[name].stopped}
            if stopped:
                entry["stopped"] = next(iter(stopped.values()))
                entry["stopped_seeds"] = sorted(stopped)
        out[name] = entry
    return out


def method_report(runs: list[SeedRun], name: str) -> dict:
    """What the report adds per method over seeds: the gaps and Avg. Gap of the means, each seed's trajectory
    (seed 0's is the one animated), and the per-point scores."""
    method, retrain = means([run.metrics(name) for run in runs]), means([run.references["retrain"] for run in runs])
    return {"gaps": gaps(method, retrain), "avg_gap": avg_gap(method, retrain),
            "seed_trajectories": [run.results[name].trajectory.to_list() for run in runs],
            **scores(runs, name)}


def _margins(runs: list[SeedRun], name: str, part: str, seeds=None) -> np.ndarray:
    chosen = runs if seeds is None else [runs[k] for k in seeds]
    return np.stack([run.margins[name][part] for run in chosen])


def _epsilon(unlearned: np.ndarray, retrained: np.ndarray) -> dict:
    eps = S.epsilon(unlearned, retrained)
    return {"per_point": eps.tolist(), "mean": float(eps.mean()) if len(eps) else None,
            "forget_quality": S.forget_quality(eps, len(unlearned))}


def _klom(unlearned: dict, retrained: dict) -> dict:
    out = {}
    for part in SETS:
        values = S.klom(unlearned[part], retrained[part])
        out[part] = {"p95": S.p95(values), "per_point": values.tolist(),
                     "p95_binned": S.p95(S.klom_binned(unlearned[part], retrained[part]))}
    return out


def scores(runs: list[SeedRun], name: str) -> dict:
    """ε on the forget points and KLoM on the forget, retain and test points of ``name`` (a method or the
    original) against the retrained models, all K seeds per side; and ``matched``: the same with half the
    seeds per side (``name``'s second half against the retrained first half), the sample size of the floors."""
    if len(runs) < 2:
        return {}
    unlearned = {part: _margins(runs, name, part) for part in SETS}
    retrained = {part: _margins(runs, "retrain", part) for part in SETS}
    out = {"epsilon": _epsilon(unlearned["forget"], retrained["forget"]), "klom": _klom(unlearned, retrained)}
    first, second = S.halves(len(runs))
    if len(first) >= 2:
        half_u = {part: values[second] for part, values in unlearned.items()}
        half_r = {part: values[first] for part, values in retrained.items()}
        out["matched"] = {"seeds_per_side": len(first), "epsilon": _epsilon(half_u["forget"], half_r["forget"]),
                          "klom": _klom(half_u, half_r)}
    return out


def floor(runs: list[SeedRun]) -> dict:
    """The noise floor: retrained models of different seeds against each other — agreement and forget accuracy
    (:func:`explorer.measures.spread.noise_floor`), and ε and KLoM between the two halves of the seeds (what a
    method that forgets exactly as retraining does would score, at half the seeds per side)."""
    out = noise_floor(np.stack([run.evaluator.retrain_labels for run in runs]),
                      [run.references["retrain"].get("forget_acc") for run in runs],
                      np.stack([run.evaluator.original_labels for run in runs]))
    first, second = S.halves(len(runs))
    if len(first) >= 2:
        a = {part: _margins(runs, "retrain", part, second) for part in SETS}
        b = {part: _margins(runs, "retrain", part, first) for part in SETS}
        out.update(seeds_per_side=len(first), epsilon=_epsilon(a["forget"], b["forget"]), klom=_klom(a, b))
    return out


def training_klom(runs: list[SeedRun], name: str, n_train: int, forget_ids) -> np.ndarray | None:
    """KLoM (:func:`explorer.measures.scores.klom`) of ``name`` against the retrained models for every training
    point, by training id (the retain and forget points; what the 2D page colours the points by); None with one
    seed or without margins."""
    if len(runs) < 2 or not all(name in run.margins and "retrain" in run.margins for run in runs):
        return None
    forget = np.asarray(sorted(set(int(i) for i in forget_ids)), dtype=int)  # the evaluator's order of the forget set
    out = np.full(n_train, np.nan)
    keep = np.ones(n_train, dtype=bool)
    keep[forget] = False
    for part, ids in (("retain", np.flatnonzero(keep)), ("forget", forget)):
        values = S.klom(_margins(runs, name, part), _margins(runs, "retrain", part))
        if len(values) == len(ids):
            out[ids] = values
    return out
