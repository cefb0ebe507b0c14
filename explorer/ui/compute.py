"""What happens when the user presses Unlearn, without Streamlit: retrain reference, the method's
run with recorded probabilities, reference metrics, and the figures/exports built from them."""
from __future__ import annotations

import csv
import io
import json
import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np
from torch import nn

from explorer import figures
from explorer.evaluation import local_lipschitz
from explorer.metrics import METRIC_NAMES, default_radius, information_score
from explorer.models import predict_proba
from explorer.pipeline import Trained, make_evaluator, method_config, retrain_reference, unlearn
from explorer.scenario import ForgetSpec, Scenario, ScenarioError, default_scenario
from explorer.trajectory import Trajectory
from explorer.verdict import method_label

Progress = "Callable[[str, float], None]"


@dataclass
class MethodRun:
    """One more method run on the same forget set for comparison (same evaluator, same retrain)."""

    method: str
    trajectory: Trajectory  # thinned to at most figures.MAX_FRAMES points, probabilities kept
    final_probs: np.ndarray
    model: nn.Module
    seconds: float
    stopped: str | None = None


@dataclass
class ExploreResult:
    """Everything the result panels need, detached from the (cached) trained model."""

    method: str
    forget_ids: list[int]
    trajectory: Trajectory  # thinned to at most figures.MAX_FRAMES points, probabilities kept
    original_probs: np.ndarray  # (G*G, C) on the grid
    retrain_probs: np.ndarray
    final_probs: np.ndarray
    references: dict[str, dict[str, float]]  # "original" / "retrain" -> metrics
    model: nn.Module  # the unlearned model (a copy; never the cached one)
    retrain: nn.Module
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    stopped: str | None = None
    others: dict[str, MethodRun] = field(default_factory=dict)  # compared methods, in the order chosen
    refused: dict[str, str] = field(default_factory=dict)  # compared method -> one-line reason it did not run
    retrain_seconds: float | None = None

    @property
    def final_metrics(self) -> dict[str, float]:
        return self.trajectory.final.metrics

    def run_of(self, method: str) -> MethodRun:
        """The main method or a compared one, as a MethodRun."""
        if method in self.others:
            return self.others[method]
        if method != self.method:
            raise KeyError(f"{method} was not run")
        return MethodRun(self.method, self.trajectory, self.final_probs, self.model,
                         self.seconds.get("unlearn", float("nan")), self.stopped)


def check_forget_set(trained: Trained, forget_ids) -> list[int]:
    """The validated, sorted forget ids; ScenarioError (one line) for empty / everything / out of range."""
    ids = sorted(set(int(i) for i in forget_ids))
    if not ids:
        raise ScenarioError("The forget set is empty: click points on the training-data chart "
                            "(or use a preset) before pressing Unlearn.")
    n = len(trained.data.x_train)
    if len(ids) >= n:
        raise ScenarioError("Every training point is selected: nothing would be left to retrain on. "
                            "Deselect some points (or press Undo) first.")
    return ForgetSpec(ids=tuple(ids)).resolve(trained.data)


def compute_retrain(scenario: Scenario, trained: Trained, forget_ids, progress=None):
    model, _, seconds = retrain_reference(scenario, trained, forget_ids, progress)
    return model, seconds


def with_compare(scenario: Scenario, methods) -> Scenario:
    """``scenario`` with ``methods`` to compare (not the main method, not retrain, no repeats), each at its
    default settings: the registry's "explorer" preset where the method has one, else its defaults."""
    from explorer.unlearning import get_method
    chosen = tuple(dict.fromkeys(m for m in methods if m not in (scenario.method, "retrain")))
    presets = {m: "explorer" for m in chosen if "explorer" in get_method(m).presets}
    return replace(scenario, compare=chosen, presets={**presets, **scenario.presets})


def run_explore(scenario: Scenario, trained: Trained, forget_ids, method: str | None = None,
                retrain: nn.Module | None = None, progress=None) -> ExploreResult:
    """Retrain reference (unless given), then ``method`` with recorded probabilities on the grid, then
    every method of ``scenario.compare`` the same way (a method that refuses this forget set, e.g. a
    class-level-only one, is listed in ``refused`` with its one-line reason)."""
    method = method or scenario.method
    ids = check_forget_set(trained, forget_ids)
    times: dict[str, float] = {}
    retrain_seconds = None
    if retrain is None:
        retrain, times["retrain"] = compute_retrain(scenario, trained, ids, progress)
        retrain_seconds = times["retrain"]
    start = time.perf_counter()
    evaluator = make_evaluator(scenario, trained, ids, retrain)
    original_metrics, original_probs = evaluator.evaluate(trained.model, with_probs=True)
    retrain_metrics, retrain_probs = evaluator.evaluate(retrain, with_probs=True)
    references = {"original": original_metrics, "retrain": retrain_metrics}
    times["references"] = time.perf_counter() - start
    main = run_method(scenario, trained, ids, evaluator, method, progress)
    times["unlearn"] = main.seconds
    res = ExploreResult(method, ids, main.trajectory, original_probs, retrain_probs, main.final_probs, references,
                        main.model, retrain, times, main.stopped, retrain_seconds=retrain_seconds)
    for other in scenario.compare:
        if other in (method, "retrain") or other in res.others or other in res.refused:
            continue
        try:
            res.others[other] = run_method(scenario, trained, ids, evaluator, other, progress)
        except ScenarioError as err:  # e.g. a class-level-only method on a forget set that is not one class
            res.refused[other] = one_line(err)
        except Exception as err:  # noqa: BLE001 - one failing baseline must not lose the main result
            logging.getLogger("explorer.app").exception("compare method %s failed", other)
            res.refused[other] = f"failed: {type(err).__name__}: {one_line(err)}".rstrip(": ")
    return res


def run_method(scenario: Scenario, trained: Trained, ids, evaluator, method: str, progress=None) -> MethodRun:
    """One method from the trained model with probabilities recorded on the grid."""
    start = time.perf_counter()
    result = unlearn(scenario, method, trained, ids, evaluator, record_probs=True, progress=progress)
    seconds = time.perf_counter() - start
    stopped = result.trajectory.stopped  # the Recorder rolled back a diverging run (loss, weights or outputs)
    trajectory = result.trajectory.thinned(figures.MAX_FRAMES)
    final_probs = trajectory.final.probs if trajectory.final.probs is not None else predict_proba(
        result.model, trained.eval_inputs)
    return MethodRun(method, trajectory, final_probs, result.model, seconds, stopped)


def verdict_of(res: ExploreResult, method: str, subject: str = "boundary"):
    """The one-sentence verdict on ``method``'s final model against the original and the retrained one."""
    from explorer.verdict import judge

    run = res.run_of(method)
    return judge(method_label(method), run.trajectory.final.metrics, res.references["original"],
                 res.references["retrain"], len(res.forget_ids), subject, run.stopped)


def one_line(message) -> str:
    """The first line of an error message (what the page shows)."""
    text = str(message).strip()
    return text.splitlines()[0] if text else ""


def animation(trained: Trained, res: ExploreResult, height: int = 720, method: str | None = None):
    """The boundary animation of the main method, or of ``method`` (a compared one)."""
    g = trained.grid
    run = res.run_of(method or res.method)
    pts = run.trajectory.points
    losses = [p.loss for p in pts]
    return figures.animation_figure(
        trained.data.x_train, trained.data.y_train, g.xs, g.ys, trained.data.n_classes, res.forget_ids,
        [p.step for p in pts], [p.probs for p in pts], [p.metrics for p in pts],
        res.original_probs, res.retrain_probs, res.references,
        losses=losses if any(v is not None for v in losses) else None,
        method_label=method_label(run.method), height=height)


def side_by_side(trained: Trained, res: ExploreResult, per_row: int = 4):
    g, d = trained.grid, trained.data
    panels = [[
        {"title": "original", "probs": res.original_probs, "scores": res.references["original"], "color": "#555"},
        {"title": f"{method_label(res.method)} result", "probs": res.final_probs, "scores": res.final_metrics},
        {"title": "retrained (gold standard)", "probs": res.retrain_probs, "scores": res.references["retrain"],
         "dash": "dash", "color": "#000"},
    ]]
    panels[0] += [{"title": method_label(name) + (" (rolled back)" if run.stopped else ""), "probs": run.final_probs,
                   "scores": run.trajectory.final.metrics, "color": "#6a1b9a"} for name, run in res.others.items()]
    return figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, res.forget_ids,
                                   figures.wrap_panels(panels[0], per_row), original_probs=res.original_probs,
                                   height_per_row=330 if len(panels[0]) <= per_row else 300)


def comparison_models(res: ExploreResult, original_seconds: float | None = None) -> dict[str, dict]:
    """The report-style ``{name: {"metrics", "seconds", "stopped"}}`` that explorer.comparison reads:
    original, retrain, the main method, then each compared method that ran."""
    models = {"original": {"metrics": res.references["original"], "seconds": original_seconds},
              "retrain": {"metrics": res.references["retrain"], "seconds": res.retrain_seconds}}
    for name in (res.method, *res.others):
        run = res.run_of(name)
        models[name] = {"metrics": run.trajectory.final.metrics, "seconds": run.seconds, "stopped": run.stopped}
    return models


def lipschitz_grid(model: nn.Module, trained: Trained, scenario: Scenario, resolution: int = 50):
    """Local Lipschitz estimate of ``model`` on a coarse grid over the data, in JiT's σ and output space."""
    from explorer.evaluation import Grid
    grid = Grid.around(trained.data.x_train, resolution)
    cfg = method_config(scenario, "jit")
    values = local_lipschitz(model, grid.points, cfg.sigma, cfg.output_space, samples=8, seed=scenario.seed,
                             device=trained.device)
    return grid, values.reshape(grid.shape)


def alpha_scores(trained: Trained) -> np.ndarray:
    d = trained.data
    return information_score(d.x_train, d.y_train, default_radius(d.x_train))


def information(trained: Trained, scenario: Scenario, res: ExploreResult | None, show_alpha: bool,
                show_lipschitz: bool):
    d = trained.data
    alpha = alpha_scores(trained) if show_alpha else None
    before = after = None
    xs, ys = trained.grid.xs, trained.grid.ys
    if show_lipschitz:
        grid, before = lipschitz_grid(trained.model, trained, scenario)
        _, after = lipschitz_grid(res.model if res is not None else trained.model, trained, scenario)
        xs, ys = grid.xs, grid.ys
    label = f"after {method_label(res.method)}" if res is not None else "after (run Unlearn first)"
    return figures.information_figure(d.x_train, d.y_train, xs, ys, res.forget_ids if res else [], before, after,
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


def sweep_key(result_key: str, sigmas, etas) -> str:
    return json.dumps([result_key, [float(v) for v in sigmas], [float(v) for v in etas]])


# ----------------------------------------------------------------------------------------------
# exports

def scenario_export(scenario: Scenario, forget_ids) -> dict:
    """``Scenario.to_dict()`` with the forget set as explicit ids, plus resolved ``forget_ids``:
    what ``python -m explorer run --scenario FILE.json`` loads."""
    ids = sorted(set(int(i) for i in forget_ids))
    out = replace(scenario, forget=ForgetSpec(ids=tuple(ids))).to_dict()
    out["forget_ids"] = ids
    return out


def scenario_json(scenario: Scenario, forget_ids) -> str:
    return json.dumps(scenario_export(scenario, forget_ids), indent=2)


def metrics_csv(res: ExploreResult) -> str:
    """One row per recorded step of the method, then the original and retrained references."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["model", "step", "epoch", "loss", *METRIC_NAMES])
    for p in res.trajectory.points:
        writer.writerow([res.method, p.step, p.epoch, "" if p.loss is None else p.loss,
                         *[p.metrics.get(m, "") for m in METRIC_NAMES]])
    for name in ("original", "retrain"):
        writer.writerow([name, "", "", "", *[res.references[name].get(m, "") for m in METRIC_NAMES]])
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------
# the paper's Figure 2

FIG2_TARGETS = (("high_information_target", "forget the high-information target (near the boundary)"),
                ("low_information_target", "forget the low-information target (deep in its class)"))
FIG2_CAPTION = (
    "Each row forgets one target point of class 1 (the cross). The retrained model is the gold standard: "
    "removing the **high-information** point (top) lets the boundary move toward class 1, removing the "
    "**low-information** point (bottom) changes almost nothing. JiT should reproduce the retrained boundary in both "
    "rows; greedy unlearning (training the target toward a wrong label) swings the boundary far more than "
    "retraining does. Faint grey = the original boundary. Paper: Foster et al., arXiv 2402.01401, Figure 2.")


def figure2_scenario(output_space: str | None = None) -> Scenario:
    """two_blobs with JiT in ``output_space`` (default: the registry's JiT default), using the
    registry's matching explorer preset when there is one."""
    from explorer.unlearning import get_method
    spec = get_method("jit")
    output_space = output_space or spec.default_config().output_space
    presets = spec.presets
    preset = None
    if f"explorer-{output_space}" in presets:
        preset = f"explorer-{output_space}"
    elif "explorer" in presets and getattr(presets["explorer"].config, "output_space", None) == output_space:
        preset = "explorer"
    configs = {} if preset else {"jit": {"output_space": output_space}}
    return replace(default_scenario("two_blobs"), method="jit", presets={"jit": preset} if preset else {},
                   configs=configs)


def figure2_methods() -> list[str]:
    from explorer.unlearning import METHODS
    return ["jit"] + (["greedy"] if "greedy" in METHODS else [])


def figure2(trained: Trained, scenario: Scenario, retrain_for=None):
    """Two rows (high- / low-information target) x (retrain | JiT | greedy if registered)."""
    d, g = trained.data, trained.grid
    rows, row_ids, titles = [], [], []
    original_probs = predict_proba(trained.model, trained.eval_inputs)
    for named, title in FIG2_TARGETS:
        ids = [d.named_points[named]]
        if retrain_for is not None:
            retrain, _ = retrain_for(ids)
        else:
            retrain, _ = compute_retrain(scenario, trained, ids)
        evaluator = make_evaluator(scenario, trained, ids, retrain)
        row = [{"title": "retrained", "probs": predict_proba(retrain, trained.eval_inputs),
                "scores": evaluator.evaluate(retrain)[0], "dash": "dash", "color": "#000"}]
        for method in figure2_methods():
            res = unlearn(scenario, method, trained, ids, evaluator, record_probs=False)
            metrics = res.trajectory.final.metrics
            row.append({"title": method_label(method) + (" (diverged, rolled back)" if res.trajectory.stopped else ""),
                        "probs": predict_proba(res.model, trained.eval_inputs), "scores": metrics})
        rows.append(row)
        row_ids.append(ids)
        titles.append(title.split(" (")[0])
    return figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, [], rows,
                                   original_probs=original_probs, row_titles=titles, rows_forget_ids=row_ids,
                                   height_per_row=340)
