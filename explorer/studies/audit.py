"""The privacy audit: per-example membership attacks on the original, the unlearned and the retrained model.

For a scenario and forget set, :func:`compute_audit` trains the reference models
(:mod:`explorer.studies.references`), computes every point's logit-scaled confidence φ under each audited model
and each reference model, and runs every attack of :data:`explorer.measures.membership.ATTACKS` (LiRA online
and offline and RMIA on the trained reference models, U-LiRA on the unlearned ones) on every model. Every point
of the population gets a score and a decision per model and attack: the training points split into forget and
retain, and the test points (never trained on by the audited models; each in half of the reference models).

Per model and attack the audit reports (:meth:`Audit.summary`): the ROC of retain points (members) against test
points (non-members) and of forget points against test points, each with its AUC and TPR at FPR 1 % and 0.1 %
and how far the number of test points resolves them; the mean score of each split; how many of each split the
attack's decision rule calls members. Across models (:meth:`Audit.comparison`): the forget points' mean score
under each model, and for the attacks whose references do not change between models, how many retain points
scored higher (and how many became called members) after unlearning than before, beside the same counts for
the retrained model (the change retraining itself makes).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np
from torch import nn

from explorer import pipeline
from explorer.config import limits
from explorer.config.audit import AuditConfig
from explorer.config.cost import AUDIT_BUDGET, check as check_cost
from explorer.config.scenario import Scenario, ScenarioError
from explorer.engine.models import logits as model_logits
from explorer.measures.membership import ATTACKS, logit_confidence, roc_summary
from explorer.studies.references import HALVES_STREAM, ReferenceModels, population, reference_models
from explorer.measures.verdict import method_label

SPLITS = ("forget", "retain", "test")


def default_references(image_data: bool) -> int:
    """64 reference models on the toys (they train in seconds in one stack), 8 on images (one by one)."""
    return 8 if image_data else 64


def audit_work(scenario: Scenario, data, n_forget: int, config: AuditConfig) -> limits.Work:
    """The audit's estimated CPU-seconds (explorer/config/cost.py): the run itself, training the reference models
    (each on half the population, priced one by one though they train in stacks: an upper bound) and unlearning
    the forget points from those that trained on them."""
    run = pipeline.work(scenario, data, n_forget)
    half = (len(data.x_train) + len(data.x_test)) // 2 + 1
    m = limits.model_cost(scenario.model, data.n_features, data.n_classes, data.image_shape)
    refs = float(config.references)
    one = scenario.train.epochs * m.work_seconds(half * 3, limits.batches(half, scenario.train.batch_size))
    parts = {"the run": run.total, "reference training": refs * one}
    if scenario.method == "retrain":
        parts["reference unlearning"] = parts["reference training"]
    else:
        cfg = pipeline.method_config(scenario, scenario.method)
        forwards, steps = limits.method_work(scenario.method, cfg, half, math.ceil(n_forget / 2), data.n_classes)
        parts["reference unlearning"] = refs * m.work_seconds(forwards, steps, method=True)
    return limits.Work(parts, run.bytes)


def check_audit(scenario: Scenario, data, n_forget: int, config: AuditConfig) -> None:
    """Refuse (one line, before any work) an audit over :data:`explorer.config.cost.AUDIT_BUDGET`."""
    config.validate()
    try:
        check_cost(audit_work(scenario, data, n_forget, config), AUDIT_BUDGET, "this audit")
    except ValueError as err:
        raise ScenarioError(str(err)) from None


@dataclass
class Audit:
    scenario: Scenario
    method: str
    forget_ids: list[int]
    config: AuditConfig
    labels: np.ndarray  # (P,) every point's class
    inputs: np.ndarray  # (P, d)
    n_train: int
    refs: ReferenceModels
    phi: dict[str, np.ndarray]  # model -> (P,) φ under the audited model
    ref_phi: np.ndarray  # (M, P) φ under each trained reference model
    ref_phi_unlearned: np.ndarray  # (M, P) after unlearning
    scores: dict[str, dict[str, np.ndarray]]  # model -> attack -> (P,)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return list(self.phi)

    @property
    def attacks(self) -> list[str]:
        return list(next(iter(self.scores.values())))

    @cached_property
    def split(self) -> np.ndarray:
        """Each point's split: "forget", "retain" (training points) or "test"."""
        out = np.array(["retain"] * self.n_train + ["test"] * (len(self.labels) - self.n_train), dtype=object)
        out[list(self.forget_ids)] = "forget"
        return out

    def where(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.split == split)

    def members(self, model: str, attack: str) -> np.ndarray:
        """The attack's decision per point: called a member."""
        return self.scores[model][attack] > ATTACKS[attack].threshold

    def summary(self, model: str, attack: str) -> dict:
        s = self.scores[model][attack]
        called = self.members(model, attack)
        test = self.where("test")
        return {"members": roc_summary(s, self.where("retain"), test),
                "forget": roc_summary(s, self.where("forget"), test),
                "mean_score": {k: float(s[self.where(k)].mean()) for k in SPLITS},
                "called_members": {k: int(called[self.where(k)].sum()) for k in SPLITS},
                "decision_fpr": float(called[test].mean()) if len(test) else None}

    def comparison(self, attack: str) -> dict:
        """The forget points' mean score per model and, for attacks whose references stay the same, how retain
        points moved from the original to each other model."""
        forget = self.where("forget")
        out = {"forget_mean_score": {m: float(self.scores[m][attack][forget].mean()) for m in self.models}}
        if ATTACKS[attack].references == "trained" and "original" in self.scores:
            retain = self.where("retain")
            before, was = self.scores["original"][attack][retain], self.members("original", attack)[retain]
            out["retain_more_exposed"] = {
                m: {"score_rose": int((self.scores[m][attack][retain] > before).sum()),
                    "newly_members": int((self.members(m, attack)[retain] & ~was).sum()),
                    "no_longer_members": int((~self.members(m, attack)[retain] & was).sum())}
                for m in self.models if m != "original"}
        return out

    @cached_property
    def label(self) -> str:
        """The audited method as it ran, the explorer's additions named ("JiT with step guard 0.05")."""
        return method_label(self.method, pipeline.method_config(self.scenario, self.method))

    def sentences(self) -> list[str]:
        """The audit in a few sentences, with the numbers (for the terminal and the page's headline)."""
        label = self.label
        n_f = len(self.forget_ids)
        lines = []
        for attack in self.attacks:
            a, c = ATTACKS[attack], self.comparison(attack)
            means = c["forget_mean_score"]
            called = {m: self.summary(m, attack)["called_members"]["forget"] for m in self.models}
            text = (f"{a.label}: the {n_f} forget point(s) score {means.get(self.method, float('nan')):.2f} on "
                    f"average under {label}, {means['retrain']:.2f} under the retrained model and "
                    f"{means['original']:.2f} under the original; called members: {label} {called.get(self.method)}, "
                    f"retrained {called['retrain']}, original {called['original']}")
            exposed = c.get("retain_more_exposed", {})
            if self.method in exposed and self.method != "retrain":
                e, r = exposed[self.method], exposed["retrain"]
                text += (f"; retain points newly called members after {label}: {e['newly_members']} (score rose for "
                         f"{e['score_rose']}), after retraining: {r['newly_members']} (score rose for {r['score_rose']})")
            lines.append(text + ".")
        test = len(self.where("test"))
        lines.append(f"{test} test points are the non-members: the smallest false-positive rate they resolve is "
                     f"{1 / max(test, 1):.2%}" + ("; FPR 0.1 % is not resolvable." if test < 1000 else "."))
        if self.refs.refused:
            lines.append(f"No U-LiRA: {self.refs.refused}.")
        return lines

    def to_dict(self) -> dict:
        """The JSON report: settings, every reference model's φ with its halves, per model and attack the
        summaries, the cross-model comparisons, and every point's scores and decisions."""
        attacks = {name: {"label": ATTACKS[name].label, "references": ATTACKS[name].references,
                          "threshold": ATTACKS[name].threshold, "rule": ATTACKS[name].rule,
                          "source": ATTACKS[name].source} for name in self.attacks}
        models = {m: {"attacks": {a: self.summary(m, a) for a in self.attacks}} for m in self.models}
        called = {m: {a: self.members(m, a) for a in self.attacks} for m in self.models}
        points = []
        for j in range(len(self.labels)):
            point = {"index": j, "id": j if j < self.n_train else j - self.n_train, "split": self.split[j],
                     "label": int(self.labels[j]), "phi": {m: float(self.phi[m][j]) for m in self.models},
                     "scores": {m: {a: float(self.scores[m][a][j]) for a in self.attacks} for m in self.models},
                     "member": {m: {a: bool(called[m][a][j]) for a in self.attacks} for m in self.models}}
            if self.inputs.shape[1] <= 2:
                point["x"] = [float(v) for v in self.inputs[j]]
            points.append(point)
        refs = self.refs
        return pipeline._clean({
            "scenario": self.scenario.to_dict(), "method": self.method, "forget_ids": list(self.forget_ids),
            "audit": {f.name: getattr(self.config, f.name) for f in fields(self.config)},
            "rmia_population": "the test points",
            "population": {"train": self.n_train, "test": len(self.labels) - self.n_train,
                           "order": "population index j: training id j for j < train, then test id j - train"},
            "references": {
                "count": len(refs.masks), "halves_seed": [self.scenario.seed, HALVES_STREAM],
                "design": "complementary pairs of random halves of the population, drawn by "
                          "numpy.random.default_rng(halves_seed); every model from the scenario's initial weights",
                "in": refs.masks.astype(int).tolist(), "phi": self.ref_phi.tolist(),
                "unlearned": refs.unlearned.tolist(), "phi_unlearned": self.ref_phi_unlearned.tolist(),
                "stopped": [{"model": k, "why": why} for k, why in refs.stopped], "refused": refs.refused,
                "backend": refs.backend, "workers": refs.workers},
            "attacks": attacks, "models": models,
            "comparison": {a: self.comparison(a) for a in self.attacks},
            "summary": self.sentences(), "points": points, "seconds": self.seconds})


def compute_audit(scenario: Scenario, trained, forget_ids, models: dict[str, nn.Module], method: str,
                  config: AuditConfig, progress=None, backend: str = "auto", workers: int | None = None,
                  address: str | None = None) -> Audit:
    """Audit ``models`` ({"original", "retrain", method: model}) of ``scenario`` with ``config.references``
    reference models; ``progress(stage label, fraction)``."""
    check_audit(scenario, trained.data, len(forget_ids), config)
    start = time.perf_counter()
    report = (lambda done, total: progress("reference models", done / total)) if progress else None
    refs = reference_models(scenario, trained, forget_ids, method, config.references, report, backend, workers,
                            address)
    x, y = population(trained.data)
    ref_phi = logit_confidence(refs.logits, np.broadcast_to(y, refs.logits.shape[:2]))
    ref_phi_unlearned = logit_confidence(refs.unlearned_logits, np.broadcast_to(y, refs.logits.shape[:2]))
    phi = {name: logit_confidence(model_logits(model, x, trained.device).numpy(), y) for name, model in models.items()}
    n_train = len(trained.data.x_train)
    options = {"variance": config.variance}
    scores: dict[str, dict[str, np.ndarray]] = {}
    for name in phi:
        scores[name] = {}
        for attack in ATTACKS.values():
            if attack.references == "unlearned" and refs.refused:
                continue
            ref = ref_phi_unlearned if attack.references == "unlearned" else ref_phi
            extra = {"population": np.arange(n_train, len(y))} if attack.name == "rmia" else options
            scores[name][attack.name] = attack.score(phi[name], ref, refs.masks, **extra)
    seconds = {"references": refs.seconds["wall"], "reference_training": refs.seconds["training"],
               "reference_unlearning": refs.seconds["unlearning"], "total": time.perf_counter() - start}
    return Audit(scenario, method, list(forget_ids), config, y, x, n_train, refs, phi, ref_phi, ref_phi_unlearned,
                 scores, seconds)


def audited_models(outcome) -> dict[str, nn.Module]:
    """The models an audit of a finished run looks at: the original, the retrained one and the main method's."""
    models = {"original": outcome.trained.model, "retrain": outcome.retrain}
    if outcome.method != "retrain":
        models[outcome.method] = outcome.main.model
    return models


def run_audit(scenario: Scenario, config: AuditConfig, progress=None, backend: str = "auto",
              workers: int | None = None, address: str | None = None) -> Audit:
    """The command line's audit: check everything (the budget included) before any work, run the scenario, audit."""
    pipeline.validate(scenario)
    data = pipeline.load_data(scenario)
    ids = pipeline.resolve_forget(scenario, data)
    check_audit(scenario, data, len(ids), config)
    outcome = pipeline.run(scenario, progress, forget_ids=ids)
    return compute_audit(scenario, outcome.trained, outcome.forget_ids, audited_models(outcome), scenario.method,
                         config, progress, backend, workers, address)
