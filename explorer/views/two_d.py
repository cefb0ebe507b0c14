"""The 2D explorer's views: a run with the grid recorded at every step, its animation, the side-by-side
panels, the information view and the paper's Figure 2 (arXiv 2402.01401), all from one RunOutcome."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from torch import nn

from explorer import pipeline
from explorer import seeds as seeds_module
from explorer.config.scenario import Scenario
from explorer.engine.models import predict_proba
from explorer.figures import two_d as figures
from explorer.figures.cloud import Cloud
from explorer.figures.common import MAX_FRAMES, specs_only
from explorer.measures.evaluation import Grid, local_lipschitz
from explorer.measures.functions import default_radius, information_score
from explorer.pipeline import RunOutcome, Trained
from explorer.scenarios import default_scenario
from explorer.unlearning import get_method
from explorer.views import one_d

GRID = "grid"  # the probe every 2D view draws: class probabilities on the scenario's grid


def run(scenario: Scenario, trained: Trained, forget_ids, retrain: tuple[nn.Module, float] | None = None,
        progress=None) -> RunOutcome:
    """The main method and every compared one, each with the grid recorded at every (thinned) step."""
    return pipeline.run(scenario, progress, trained=trained, forget_ids=forget_ids,
                        probes={GRID: pipeline.EVAL_INPUTS}, retrain=retrain, max_frames=MAX_FRAMES)


def page_run(scenario: Scenario, trained: Trained, forget_ids, retrain: tuple[nn.Module, float] | None = None,
             progress=None) -> tuple[RunOutcome, dict[str, dict]]:
    """What pressing Unlearn on the explorer page computes: the run and the figures every session shows for it —
    the main method's animation, the side-by-side panels and the information view's default (α(x), no
    Lipschitz heatmap) — as plain figure specs (``fig.to_dict()``), which pass between processes cheaply
    (:func:`explorer.figures.two_d.from_spec` makes them figures again), the 2D ones built as specs directly
    (:func:`explorer.figures.common.specs_only`). A 1-D dataset has its curve animation."""
    if trained.data.is_1d:
        out = one_d.run(scenario, trained, forget_ids, retrain=retrain, progress=progress)
        return out, {out.method: one_d.animation(out).to_dict()}
    out = run(scenario, trained, forget_ids, retrain=retrain, progress=progress)
    if progress:
        progress("Building the animation", 1.0)
    with specs_only():
        figs = {out.method: animation(out), "side": side_by_side(out),
                "info": information(trained, scenario, out, True, False)}
        return out, {name: fig.to_dict() for name, fig in figs.items()}


def animation(out: RunOutcome, method: str | None = None, height: int = 720):
    """The boundary animation of the main method, or of ``method`` (a compared one)."""
    trained, g = out.trained, out.trained.grid
    result = out.results[method or out.method]
    pts = result.trajectory.points
    losses = [p.loss for p in pts]
    return figures.animation_figure(
        trained.data.x_train, trained.data.y_train, g.xs, g.ys, trained.data.n_classes, out.forget_ids,
        [p.step for p in pts], result.probe(GRID), [p.metrics for p in pts],
        out.reference_probes["original"][GRID], out.reference_probes["retrain"][GRID], out.references,
        losses=losses if any(v is not None for v in losses) else None,
        method_label=out.label(result.name), height=height, cloud=cloud(out, result.name))


SCORE_LABEL = "KLoM"  # the per-point score the cloud colours the training points by


def cloud(out: RunOutcome, method: str) -> Cloud | None:
    """Every seed's boundaries of a run over K > 1 seeds (None with one seed): each seed's method boundary at the
    animated steps (seed k's last recorded step at or before each of seed 0's), its metrics there, both references
    per seed, and each training point's KLoM (:func:`explorer.seeds.training_klom`) under ``method``."""
    runs = out.seed_runs
    if len(runs) < 2 or any(method not in run.results for run in runs):
        return None
    steps = np.asarray(out.results[method].trajectory.steps)
    grids, metrics = [], []
    for run in runs:
        result = run.results[method]
        own = np.asarray(result.trajectory.steps)
        at = np.clip(np.searchsorted(own, steps, side="right") - 1, 0, len(own) - 1)
        probes = result.probe(GRID)
        grids.append([probes[j] for j in at])
        metrics.append([result.trajectory.points[j].metrics for j in at])
    refs = {name: [run.references[name] for run in runs] for name in ("original", "retrain")}
    return Cloud([run.reference_probes["original"][GRID] for run in runs],
                 [run.reference_probes["retrain"][GRID] for run in runs], grids, metrics, refs,
                 seeds_module.training_klom(runs, method, len(out.trained.data.x_train), out.forget_ids), SCORE_LABEL)


def side_by_side(out: RunOutcome, per_row: int = 4):
    """Final boundaries: original, the main method, retrained, then each compared method."""
    d, g = out.trained.data, out.trained.grid
    refs = out.reference_probes
    panels = [
        {"title": "original", "probs": refs["original"][GRID], "scores": out.references["original"], "color": "#555"},
        {"title": f"{out.label()} result", "probs": out.main.final_probe(GRID),
         "scores": out.main.final_metrics},
        {"title": "retrained (gold standard)", "probs": refs["retrain"][GRID], "scores": out.references["retrain"],
         "dash": "dash", "color": "#000"},
    ]
    panels += [{"title": out.label(name) + (" (rolled back)" if r.stopped else ""), "probs": r.final_probe(GRID),
                "scores": r.final_metrics, "color": "#6a1b9a"} for name, r in out.compared.items()]
    return figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, out.forget_ids,
                                   figures.wrap_panels(panels, per_row), original_probs=refs["original"][GRID],
                                   height_per_row=330 if len(panels) <= per_row else 300)


def lipschitz_grid(model: nn.Module, trained: Trained, scenario: Scenario, resolution: int = 50):
    """Local Lipschitz estimate of ``model`` on a coarse grid over the data, with the scenario's probe (the
    same σ and output space as the forget_lipschitz metric)."""
    grid = Grid.around(trained.data.x_train, resolution)
    values = local_lipschitz(model, grid.points, scenario.lipschitz_sigma, scenario.lipschitz_space, samples=8,
                             seed=scenario.seed, device=trained.device)
    return grid, values.reshape(grid.shape)


def alpha_scores(trained: Trained) -> np.ndarray | None:
    """α(x) per training point, or None when it cannot be computed: a view without α, never a broken page.
    Data without spread (noise 0: coinciding points) has a median neighbour distance of 0; the radius then
    falls back to a small share of the data's extent, where α is the share of coinciding points that agree."""
    d = trained.data
    try:
        radius = default_radius(d.x_train)
        if not radius > 0:
            extent = float(np.ptp(d.x_train, axis=0).max()) if len(d.x_train) else 0.0
            radius = 1e-3 * extent if extent > 0 else 1e-6
        return information_score(d.x_train, d.y_train, radius)
    except ValueError:
        return None


def information(trained: Trained, scenario: Scenario, out: RunOutcome | None, show_alpha: bool,
                show_lipschitz: bool):
    """α(x) per training point and/or the local Lipschitz estimate before and after the run."""
    d = trained.data
    alpha = alpha_scores(trained) if show_alpha else None
    before = after = None
    xs, ys = trained.grid.xs, trained.grid.ys
    if show_lipschitz:
        grid, before = lipschitz_grid(trained.model, trained, scenario)
        _, after = lipschitz_grid(out.main.model if out is not None else trained.model, trained, scenario)
        xs, ys = grid.xs, grid.ys
    label = f"after {out.label()}" if out is not None else "after (run Unlearn first)"
    return figures.information_figure(d.x_train, d.y_train, xs, ys, out.forget_ids if out else [], before, after,
                                      alpha, after_label=label)


def log_grid(center: float, n: int = 4, span: float = 10.0) -> list[float]:
    """``n`` log-spaced values from ``center/√span`` to ``center·√span`` (3 significant digits): a small
    default σ or η axis around the current setting."""
    if not (center > 0 and np.isfinite(center)) or n < 1 or span < 1:
        raise ValueError(f"log_grid needs center > 0, n >= 1 and span >= 1, got {center}, {n}, {span}")
    if n == 1:
        return [float(f"{center:.3g}")]
    values = np.geomspace(center / np.sqrt(span), center * np.sqrt(span), n)
    return [float(f"{v:.3g}") for v in values]


# ----------------------------------------------------------------------------------------------
# the paper's Figure 2

FIG2_TARGETS = (("high_information_target", "forget the high-information target"),
                ("low_information_target", "forget the low-information target"))
FIG2_METHODS = ("jit", "greedy")


def figure2_scenario(output_space: str | None = None, eta: float | None = None,
                     max_step_change: float | None = None) -> Scenario:
    """two_blobs with JiT in ``output_space`` (default: the registry's JiT default), using the
    registry's matching explorer preset when there is one (``eta`` overrides its η, ``max_step_change`` its step
    guard: 0 = plain JiT steps), and greedy mislabelling to compare."""
    spec = get_method("jit")
    output_space = output_space or spec.default_config().output_space
    presets = spec.presets
    preset = None
    if f"explorer-{output_space}" in presets:
        preset = f"explorer-{output_space}"
    elif "explorer" in presets and getattr(presets["explorer"].config, "output_space", None) == output_space:
        preset = "explorer"
    configs = {} if preset else {"jit": {"output_space": output_space}}
    if eta is not None:
        configs = {"jit": {**configs.get("jit", {}), "eta": float(eta)}}
    if max_step_change is not None:
        configs = {"jit": {**configs.get("jit", {}), "max_step_change": float(max_step_change)}}
    return replace(default_scenario("two_blobs"), method="jit", compare=FIG2_METHODS[1:],
                   presets={"jit": preset} if preset else {}, configs=configs)


def figure2(trained: Trained, scenario: Scenario, retrain_for=None, outcomes: dict | None = None):
    """Two rows (high- / low-information target) x (retrain | JiT | greedy); ``outcomes``, when given, receives
    each target's RunOutcome by its name (the lessons read their numbers)."""
    d, g = trained.data, trained.grid
    rows, row_ids, titles = [], [], []
    original_probs = predict_proba(trained.model, trained.eval_inputs)
    for named, title in FIG2_TARGETS:
        ids = [d.named_points[named]]
        out = run(scenario, trained, ids, retrain=retrain_for(ids) if retrain_for else None)
        if outcomes is not None:
            outcomes[named] = out
        row = [{"title": "retrained", "probs": out.reference_probes["retrain"][GRID],
                "scores": out.references["retrain"], "dash": "dash", "color": "#000"}]
        for name, result in out.results.items():
            row.append({"title": out.label(name) + (" (diverged, rolled back)" if result.stopped else ""),
                        "probs": result.final_probe(GRID), "scores": result.final_metrics})
        rows.append(row)
        row_ids.append(ids)
        titles.append(title)
    return figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, [], rows,
                                   original_probs=original_probs, row_titles=titles, rows_forget_ids=row_ids,
                                   height_per_row=340)
