"""From a scenario to trained models, the retrain reference, unlearned models and a JSON report.

:func:`run` is the one run path of the CLI, both pages and the benchmarks. Its stages are the functions of
:mod:`explorer.stages` (re-exported here), so the app can cache them (the trained original per data/model/
training settings, the retrain reference per forget set) and hand them back in. With ``seeds`` K > 1 the
original, the retrain reference and every method run once per training seed through the study primitive
(:func:`explorer.studies.study.run_cells`), batched where the method allows.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from torch import nn

from explorer import seeds as seeds_module
from explorer.config.scenario import Scenario, ScenarioError
from explorer.measures.comparison import avg_gap, gaps, metrics_csv
from explorer.measures.evaluation import Evaluator
from explorer.measures.verdict import judge, method_label
from explorer.seeds import SeedRun
from explorer.stages import (  # noqa: F401
    EVAL_INPUTS,
    MethodOutcome,
    ProbeEvaluator,
    Progress,
    Trained,
    _clean,
    build_initial,
    check_lipschitz_probe,
    check_work,
    grid_points,
    load_data,
    make_evaluator,
    method_config,
    one_line,
    probe_size,
    resolve_device,
    resolve_forget,
    retrain_reference,
    train_original,
    unlearn,
    validate,
    with_compare,
    work,
)
from explorer.unlearning.base import refusal


@dataclass
class RunOutcome:
    """What one run leaves: the trained original, the retrain reference, each method's outcome or its
    refusal (with the reason), and the probes every view reads. One report builder for the CLI's JSON,
    the comparison table and the CSV: :meth:`models`."""

    scenario: Scenario
    trained: Trained
    forget_ids: list[int]
    retrain: nn.Module
    retrain_seconds: float
    evaluator: Evaluator
    references: dict[str, dict[str, float]] = field(default_factory=dict)  # "original" / "retrain" -> metrics
    reference_probes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    results: dict[str, MethodOutcome] = field(default_factory=dict)  # the main method first
    refused: dict[str, str] = field(default_factory=dict)  # compared method -> why it did not run
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall-clock seconds
    # With seeds K > 1, every seed's run (explorer/seeds.py); the fields above are seed 0's (what is animated).
    seed_runs: list[SeedRun] = field(default_factory=list)

    @property
    def seeds(self) -> int:
        return max(1, len(self.seed_runs))

    @property
    def per_seed(self) -> list[SeedRun]:
        """Every seed's run: the seed runs, or (one seed) this run as seed 0 (no margins)."""
        if self.seed_runs:
            return self.seed_runs
        return [SeedRun(0, self.trained, self.retrain, self.retrain_seconds, self.evaluator, self.references,
                        self.reference_probes, dict(self.results))]

    def scores(self, name: str | None = None) -> dict:
        """The per-point scores of ``name`` (default: the main method; "original" for the untouched model) over
        the seeds: ``{"epsilon": {"per_point", ...}, "klom": {set: {"p95", "per_point"}}, "matched": ...}``
        (empty with one seed)."""
        return seeds_module.scores(self.seed_runs, name or self.scenario.method) if self.seed_runs else {}

    @property
    def method(self) -> str:
        return self.scenario.method

    @property
    def main(self) -> MethodOutcome:
        return self.results[self.scenario.method]

    @property
    def compared(self) -> dict[str, MethodOutcome]:
        return {n: r for n, r in self.results.items() if n != self.scenario.method}

    @property
    def subject(self) -> str:
        return "boundary" if self.trained.data.is_2d else "predictions"

    def label(self, name: str | None = None) -> str:
        """How method ``name`` (default: the main one) is named to the user, its settings' own additions included
        ("JiT with step guard 0.05")."""
        name = name or self.scenario.method
        return method_label(name, method_config(self.scenario, name))

    def models(self) -> dict[str, dict]:
        """``{name: {"metrics", "seconds", "label"?, "stopped"?}}``: original, retrain, then each method that ran.
        Over several seeds "metrics" are the means, with "spread" (mean, sd, 95 % interval, each seed's value)."""
        if self.seed_runs:
            out = seeds_module.models(self.seed_runs)
            for name in self.results:
                out[name]["label"] = self.label(name)
            return out
        history = self.trained.history
        out = {"original": {"metrics": self.references["original"], "seconds": history.seconds,
                            "epochs": history.epochs_run, "converged": history.converged},
               "retrain": {"metrics": self.references["retrain"], "seconds": self.retrain_seconds}}
        for name, result in self.results.items():
            out[name] = {"metrics": result.final_metrics, "seconds": result.seconds, "label": self.label(name)}
            if result.stopped:
                out[name]["stopped"] = result.stopped
        return out

    def verdict(self, name: str | None = None):
        """The one-sentence verdict on ``name`` (default: the main method) against original and retrain; over
        several seeds on the means, the direction judged against training noise."""
        name = name or self.scenario.method
        kind = self.evaluator.paper.kind
        if self.seed_runs:
            m = seeds_module.models(self.seed_runs)
            return judge(self.label(name), m[name]["metrics"], m["original"]["metrics"], m["retrain"]["metrics"],
                         len(self.forget_ids), self.subject, m[name].get("stopped"),
                         seeds_module.movement(self.seed_runs, name), forget_kind=kind)
        result = self.results[name]
        return judge(self.label(result.name), result.final_metrics, self.references["original"],
                     self.references["retrain"], len(self.forget_ids), self.subject, result.stopped,
                     forget_kind=kind)

    def trajectories(self) -> dict[str, list[dict]]:
        return {name: result.trajectory.to_list() for name, result in self.results.items()}

    def report(self) -> dict:
        scenario = self.scenario.to_dict()
        scenario["forget_ids"] = list(self.forget_ids)
        models = self.models()
        retrain_metrics = self.references["retrain"]
        for name, result in self.results.items():
            metrics = result.final_metrics
            models[name].update(verdict=self.verdict(name).to_dict(), gaps=gaps(metrics, retrain_metrics),
                                avg_gap=avg_gap(metrics, retrain_metrics), trajectory=result.trajectory.to_list())
            if self.seed_runs:
                models[name].update(seeds_module.method_report(self.seed_runs, name))
        main = models.get(self.scenario.method, {}).get("verdict")
        out = {"scenario": scenario, "device": self.trained.device.type,
               "verdict": main["sentence"] if main else None, "models": models, "refused": dict(self.refused)}
        if self.seed_runs:
            models["original"].update(seeds_module.scores(self.seed_runs, "original"))
            k = range(self.seeds)
            out["seeds"] = {"count": self.seeds, "training_seeds": [self.scenario.train.seed + i for i in k],
                            "method_seeds": [self.scenario.seed + i for i in k],
                            "rule": "direction: paired 95 % t-interval over seeds (explorer/measures/verdict.py)"}
            out["noise_floor"] = seeds_module.floor(self.seed_runs)
        return _clean(out)

    def csv(self) -> str:
        """Every metric of every method at every recorded step, then each model's final row."""
        return metrics_csv(self.models(), self.trajectories())


def run(scenario: Scenario, progress: Progress | None = None, *, trained: Trained | None = None,
        forget_ids=None, probes: dict[str, np.ndarray | None] | None = None,
        retrain: tuple[nn.Module, float] | None = None, max_frames: int | None = None) -> RunOutcome:
    """The one run path of the CLI, both pages and the benchmarks: train (unless ``trained``), resolve the
    forget set (``forget_ids`` or the scenario's spec), retrain without it (unless ``retrain`` = (model,
    seconds) is given), run the main method and every compared one, and measure all of them the same way.

    ``probes`` names inputs whose class probabilities are recorded at every step (:data:`EVAL_INPUTS` for
    the evaluation inputs); ``max_frames`` thins each trajectory for animation. A compared method that
    cannot take this forget set (a class-only method on a forget set that is not one class) is refused
    with its reason before any training, and a compared method that fails is reported the same way: the
    rest of the run is kept. The main method's failure is the run's failure."""
    validate(scenario)
    data = trained.data if trained is not None else load_data(scenario)
    ids = resolve_forget(scenario, data, forget_ids, probe_size(scenario, data, probes), max_frames)  # before any work
    refused = {name: why for name in scenario.methods if name != "retrain"
               for why in [refusal(name, data, ids)] if why}
    if scenario.method in refused:
        raise ScenarioError(refused[scenario.method])
    if scenario.seeds > 1:
        return _run_seeds(scenario, data, ids, refused, progress, trained, retrain, probes, max_frames)
    trained = trained or train_original(scenario, progress, data=data)
    if retrain is None:
        retrain_model, _, retrain_seconds = retrain_reference(scenario, trained, ids, progress)
    else:
        retrain_model, retrain_seconds = retrain
    start = time.perf_counter()
    evaluator = make_evaluator(scenario, trained, ids, retrain_model)
    probe = ProbeEvaluator(evaluator, probes or {}, trained)
    outcome = RunOutcome(scenario, trained, ids, retrain_model, retrain_seconds, evaluator, refused=refused)
    for name, model in (("original", trained.model), ("retrain", retrain_model)):
        metrics, probs = probe(model, with_probs=bool(probes), final=True)
        outcome.references[name], outcome.reference_probes[name] = metrics, probe.cut(probs)
    outcome.seconds = {"retrain": retrain_seconds, "references": time.perf_counter() - start}
    for name in scenario.methods:
        if name == "retrain" or name in refused:  # retrain: the reference above is that model, reported once
            continue
        try:
            result = unlearn(scenario, name, trained, ids, probe, record_probs=bool(probes), progress=progress)
        except Exception as err:  # noqa: BLE001 - a compared method's failure must not lose the others
            if name == scenario.method:
                raise
            if not isinstance(err, ScenarioError):
                logging.getLogger("explorer").exception("compared method %s failed", name)
            refused[name] = f"failed: {one_line(err)}" if not isinstance(err, ScenarioError) else one_line(err)
            continue
        result.trajectory.final.metrics.update(evaluator.final_only(result.model))  # the finished model's own
        trajectory = result.trajectory.thinned(max_frames) if max_frames else result.trajectory
        outcome.results[name] = MethodOutcome(name, result.model, trajectory, result.seconds, probe.slices)
        outcome.seconds[name] = result.seconds
    return outcome


def _run_seeds(scenario, data, ids, refused, progress, trained, retrain, probes, max_frames) -> RunOutcome:
    """``seeds`` K > 1: every seed through the study primitive; seed 0's run fills the one-seed fields."""
    start = time.perf_counter()
    names = [name for name in scenario.methods if name != "retrain" and name not in refused]
    runs, failed = seeds_module.run_seeds(scenario, ids, names, progress, trained, retrain, probes, max_frames)
    refused = {**refused, **failed}
    first = runs[0]
    outcome = RunOutcome(scenario, first.trained, ids, first.retrain, first.retrain_seconds, first.evaluator,
                         dict(first.references), dict(first.reference_probes), dict(first.results), refused,
                         seed_runs=runs)
    outcome.seconds = {"retrain": float(np.mean([r.retrain_seconds for r in runs])),
                       **{name: float(np.mean([r.results[name].seconds for r in runs])) for name in first.results},
                       "run": time.perf_counter() - start}
    return outcome
