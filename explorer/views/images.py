"""The images page's views: a run that records a few forgotten images and the plane through them at every
step (the probes), and every figure of that run, from one RunOutcome."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from explorer.views import image_analysis as A
from explorer.figures import images as F
from explorer import pipeline
from explorer.measures.metrics import metric_names
from explorer.engine.models import predict_proba
from explorer.pipeline import RunOutcome, Trained
from explorer.config.scenario import Scenario

SHOWN = "shown"  # probe: the first few forgotten images


def plane_probe(k: int) -> str:
    return f"plane_{k}"


@dataclass
class ImageRun:
    """A run on images and what its views need besides the outcome: which forgotten images are shown, the
    planes through them, and every model's probabilities on the test and forget sets."""

    outcome: RunOutcome
    shown_ids: list[int]
    planes: list[A.Plane]
    test_probs: dict[str, np.ndarray]  # original / main method / retrain
    forget_probs: dict[str, np.ndarray]
    seed_test_probs: dict[str, list[np.ndarray]] = field(default_factory=dict)  # K > 1 seeds: each seed's

    @property
    def steps(self) -> list[int]:
        return self.outcome.main.trajectory.steps


def run(scenario: Scenario, trained: Trained, forget_ids, retrain=None, progress=None, max_shown: int = 4,
        max_planes: int = 2, resolution: int = 40) -> ImageRun:
    """The main method and every compared one, with the shown images and the planes recorded per step."""
    data = trained.data
    ids = pipeline.resolve_forget(scenario, data, forget_ids)
    shown = ids[:max_shown]
    planes = [A.boundary_plane(data.x_train, data.y_train, i, resolution=resolution) for i in shown[:max_planes]]
    probes = {SHOWN: data.x_train[shown], **{plane_probe(k): p.points for k, p in enumerate(planes)}}
    out = pipeline.run(scenario, progress, trained=trained, forget_ids=ids, probes=probes, retrain=retrain,
                       max_frames=F.MAX_FRAMES)
    models = {"original": trained.model, out.method: out.main.model, "retrain": out.retrain}
    test = {k: predict_proba(m, data.x_test, trained.device) for k, m in models.items()}
    forget = {k: predict_proba(m, data.x_train[ids], trained.device) for k, m in models.items()}
    per_seed = {}
    if out.seeds > 1:  # each seed's original, method and retrained model on the test set (per-class accuracy)
        per_seed = {k: [predict_proba(m, data.x_test, trained.device) for m in ms] for k, ms in (
            ("original", [r.trained.model for r in out.seed_runs]),
            (out.method, [r.results[out.method].model for r in out.seed_runs]),
            ("retrain", [r.retrain for r in out.seed_runs]))}
    return ImageRun(out, shown, planes, test, forget, per_seed)


def figures(run: ImageRun) -> dict[str, go.Figure]:
    """Every view of one run, by name."""
    out, data = run.outcome, run.outcome.trained.data
    names = data.class_names or [str(c) for c in range(data.n_classes)]
    label = out.label()
    steps = run.steps
    figs: dict[str, go.Figure] = {}
    for k, plane in enumerate(run.planes):
        figs[plane_probe(k)] = F.plane_figure(
            plane, out.main.probe(plane_probe(k)), steps, out.reference_probes["retrain"][plane_probe(k)],
            data.n_classes, names, data.y_train[list(plane.anchor_ids)],
            title=f"Predicted class on the plane through forgotten image #{plane.anchor_ids[0]}")
    shown_steps = out.main.probe(SHOWN)
    for k, i in enumerate(run.shown_ids):
        figs[f"probs_{k}"] = F.forget_probs_figure(
            data.x_train[i], data.image_shape, [p[k] for p in shown_steps], steps,
            out.reference_probes["retrain"][SHOWN][k], names,
            title=f"Forgotten image #{i} (class {names[int(data.y_train[i])]})")
    if out.seeds > 1:
        for k, i in enumerate(run.shown_ids):
            figs[f"seeds_{k}"] = F.seed_probs_figure(names, {
                label: [r.results[out.method].final_probe(SHOWN)[k] for r in out.seed_runs],
                "retrain": [r.reference_probes["retrain"][SHOWN][k] for r in out.seed_runs]},
                title=f"Forgotten image #{i} (class {names[int(data.y_train[i])]}) over {out.seeds} seeds")
    accuracy = lambda probs: A.per_class_accuracy(probs, data.y_test, data.n_classes)  # noqa: E731
    figs["per_class"] = F.per_class_figure(
        {k: np.stack([accuracy(p) for p in v]) for k, v in run.seed_test_probs.items()} if run.seed_test_probs
        else {k: accuracy(v) for k, v in run.test_probs.items()}, names)
    figs["confusion"] = F.confusion_figure(data.y_test, run.test_probs[out.method].argmax(1), names,
                                           title=f"Confusion matrix after {label} (test set)")
    f = run.forget_probs
    figs["entropy"] = F.entropy_figure(A.entropy_test(f["original"], f[out.method], f["retrain"]), label)
    traj = out.main.trajectory
    figs["metrics"] = F.metrics_figure(traj.steps, {m: traj.metric(m) for m in metric_names("table")},
                                       {k: out.references[k] for k in ("original", "retrain")})
    return figs
