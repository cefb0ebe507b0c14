"""The 1-D views (no Streamlit): a run on a line dataset with the curve recorded at every step, its animated
change figure, and the JiT paper's Figure 3 (Foster et al., arXiv 2402.01401): one JiT run per forget point
on a sigmoid-shaped model, the value at each forget point before and after."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from torch import nn

from explorer import pipeline


from explorer.figures import one_d as figures_1d
from explorer.figures.common import MAX_FRAMES
from explorer.engine.models import predict_proba
from explorer.config.model import ModelConfig
from explorer.pipeline import RunOutcome, Trained
from explorer.config.scenario import Scenario
from explorer.scenarios import default_scenario
from explorer.measures.verdict import guard_label
from toy_data.one_d import FIGURE3_X, figure3_name

LINE = "line"  # the probe the 1-D views draw: class probabilities on the evaluation line
FORGET = "forget"  # the probe at the forget points themselves
FIGURE3_RECORD_EVERY = 5  # JiT's 30 passes recorded every 5th step: 7 frames per run


def figure3_scenario(detach_perturbed: bool | None = None, **jit) -> Scenario:
    """The one-click "paper Figure 3" setting: the noisy-sigmoid line data, a model with no hidden layer (its
    class-1 probability is exactly a sigmoid of w·x + b), the explorer's default JiT (its calibrated preset,
    published detached targets), recorded every 5th step. ``detach_perturbed`` and ``jit`` override JiT."""
    base = default_scenario("line")
    overrides = dict(jit)
    if detach_perturbed is not None:
        overrides["detach_perturbed"] = detach_perturbed
    return replace(base, model=ModelConfig(depth=0), method="jit", compare=(),
                   record_every=FIGURE3_RECORD_EVERY, configs={"jit": overrides} if overrides else {})


def run(scenario: Scenario, trained: Trained, forget_ids, retrain: tuple[nn.Module, float] | None = None,
        progress=None) -> RunOutcome:
    """The main method and every compared one, with the line and the forget points recorded at every step."""
    forget_x = trained.data.x_train[sorted(set(int(i) for i in forget_ids))]
    return pipeline.run(scenario, progress, trained=trained, forget_ids=forget_ids,
                        probes={LINE: pipeline.EVAL_INPUTS, FORGET: forget_x}, retrain=retrain,
                        max_frames=MAX_FRAMES)


def curve(trained: Trained, model: nn.Module | None = None) -> np.ndarray:
    """A model's class-1 probability over the evaluation line (default: the trained original)."""
    return predict_proba(model if model is not None else trained.model, trained.eval_inputs)[:, 1]


def data_figure(trained: Trained, forget_ids=(), scale: float = 1.0, height: int = 440):
    """The original curve and the training data at y = its label (selectable: the last trace, ids in
    customdata); forgotten points are crosses."""
    d = trained.data
    return figures_1d.change_figure(trained.grid.xs, curve(trained), [], [], x_train=d.x_train, y_train=d.y_train,
                                    forget_ids=sorted(set(int(i) for i in forget_ids)), scale=scale, height=height)


def probs_at(model: nn.Module, x: np.ndarray, trained: Trained) -> list[float]:
    return predict_proba(model, np.asarray(x, np.float32).reshape(-1, 1), trained.device)[:, 1].tolist()


def animation(out: RunOutcome, method: str | None = None, scale: float = 1.0, with_data: bool = True):
    """The curve of ``method`` (default: the main one) over its steps against the original and retrained
    curves, each forget point's value joined to its original value."""
    result = out.results[method or out.method]
    d = out.trained.data
    forget_x = d.x_train[out.forget_ids, 0].tolist()
    run_ = figures_1d.CurveRun([p[:, 1] for p in result.probe(LINE)], forget_x,
                               [p[:, 1].tolist() for p in result.probe(FORGET)], f"after {out.label(result.name)}")
    return figures_1d.change_figure(
        out.trained.grid.xs, out.reference_probes["original"][LINE][:, 1], [run_],
        [p.step for p in result.trajectory.points],
        forget_before=out.reference_probes["original"][FORGET][:, 1].tolist(),
        retrain=out.reference_probes["retrain"][LINE][:, 1], x_train=d.x_train if with_data else None,
        y_train=d.y_train, forget_ids=out.forget_ids, scale=scale, seed_curves=seed_curves(out, result.name))


def seed_curves(out: RunOutcome, method: str) -> dict | None:
    """A run over K > 1 seeds: each seed's retrained curve (dashed) and its final curve under ``method``."""
    runs = out.seed_runs
    if len(runs) < 2 or any(method not in run.results for run in runs):
        return None
    k = len(runs)
    return {f"retrained ({k} seeds)": ([run.reference_probes["retrain"][LINE][:, 1] for run in runs], "dash"),
            f"{out.label(method)}, final ({k} seeds)": ([run.results[method].final_probe(LINE)[:, 1] for run in runs],
                                                         "solid")}


# ----------------------------------------------------------------------------------------------
# the paper's Figure 3

@dataclass
class Figure3:
    """One JiT run per forget position: f before and after (final step), the retrained model's value there,
    the curves at every recorded step, and the recorded steps."""

    xs: np.ndarray  # the evaluation line
    original: np.ndarray  # f over the line before
    forget_x: list[float]
    before: list[float]
    after: list[float]
    retrain: list[float]
    runs: list[figures_1d.CurveRun]
    steps: list[int]
    setting: str

    @property
    def change(self) -> dict[float, float]:
        """x -> f after − f before."""
        return {x: a - b for x, b, a in zip(self.forget_x, self.before, self.after)}

    def abs_change(self, x: float) -> float:
        return abs(self.change[float(x)])


def figure3(scenario: Scenario, trained: Trained, positions=FIGURE3_X, retrain_for=None, progress=None) -> Figure3:
    """JiT once per forget position (each a named training point of the line data), as in Figure 3."""
    d = trained.data
    before, after, retrained, runs, steps = [], [], [], [], []
    for k, x in enumerate(positions):
        ids = [d.named_points[figure3_name(x)]]
        if progress:
            progress(f"JiT on the point at x = {x:g} ({k + 1} of {len(positions)})", k / len(positions))
        out = pipeline.run(scenario, None, trained=trained, forget_ids=ids,
                           probes={LINE: pipeline.EVAL_INPUTS, FORGET: np.array([[x]], np.float32)},
                           retrain=retrain_for(ids) if retrain_for else None)
        result = out.main
        values = [float(p[0, 1]) for p in result.probe(FORGET)]
        before.append(float(out.reference_probes["original"][FORGET][0, 1]))
        after.append(values[-1])
        retrained.append(float(out.reference_probes["retrain"][FORGET][0, 1]))
        runs.append(figures_1d.CurveRun([p[:, 1] for p in result.probe(LINE)], [float(x)],
                                        [[v] for v in values], f"after {out.label()} (one run per forget point)"))
        steps = [p.step for p in result.trajectory.points]
    frames = min(len(r.curves) for r in runs)
    runs = [replace(r, curves=r.curves[:frames], values=r.values[:frames]) for r in runs]  # a rolled-back run is shorter
    cfg = pipeline.method_config(scenario, "jit")
    setting = (f"{guard_label(cfg.max_step_change)} in "
               f"{cfg.output_space} space, σ = {cfg.sigma:g}, η = {cfg.eta:g}, {cfg.passes} passes, "
               f"N = {cfg.perturbations}, perturbed outputs {'detached (as published)' if cfg.detach_perturbed else 'with gradient'}")
    return Figure3(trained.grid.xs, curve(trained), [float(x) for x in positions], before, after, retrained, runs,
                   steps[:frames], setting)


def figure3_figure(result: Figure3, scale: float = 1.0, height: int = 460):
    return figures_1d.change_figure(result.xs, result.original, result.runs, result.steps,
                                    forget_before=result.before, title="Change in the curve after JiT, one run per "
                                    "forget point", scale=scale, height=height)


def perturbations(trained: Trained, x0: float, sigma: float, n: int = 25, seed: int = 0):
    """JiT's view of one forget point: ``n`` Gaussian perturbations of ``x0`` and the model's value at each."""
    px = x0 + sigma * np.random.default_rng(seed).standard_normal(n)
    f0 = probs_at(trained.model, np.array([x0]), trained)[0]
    return figures_1d.perturbation_figure(trained.grid.xs, curve(trained), x0, f0, px,
                                          probs_at(trained.model, px, trained), sigma)
