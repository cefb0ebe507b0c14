"""What a study would cost, estimated before any of it runs, for the one budget check (explorer/config/cost.py).

Each estimate composes the run model of explorer/config/limits.py: a sweep is its cells' method runs (no
per-step measuring, one evaluation each) plus the retrain reference unless given; an atlas is one retraining
and one method run per point; the calibration study is, per dataset × seed × weight decay, one original, one
retraining per forget kind and every setting on every kind (the boundary measured at each step). Training is
counted for its configured maximum of epochs: an upper bound, as training stops once converged. Cheap: only
the datasets are built (for their sizes), never a model.
"""
from __future__ import annotations

from dataclasses import replace

from explorer import pipeline
from explorer.config import limits
from explorer.config.cost import PARAM_STEP_SECONDS, Cost, check
from explorer.config.scenario import Scenario, ScenarioError
from explorer.scenarios import default_scenario
from explorer.studies.atlas import CHUNK, computed_seeds
from explorer.studies.calibration import NEIGHBOURS
from toy_data import Dataset


def _sizes(scenario: Scenario, data: Dataset):
    m = limits.model_cost(scenario.model, data.n_features, data.n_classes, data.image_shape)
    n, t = len(data.x_train), len(data.x_test)
    evaluation = m.evaluation_seconds(pipeline.grid_points(scenario, data) + n + t, data.n_classes, n + t)
    return m, n, evaluation


def _training(scenario: Scenario, m, n: int) -> float:
    """One model trained on ``n`` points for the configured epochs."""
    return scenario.train.epochs * m.work_seconds(3 * n, limits.batches(n, scenario.train.batch_size))


def _method(name: str, config, m, n: int, n_forget: int, classes: int) -> float:
    forwards, steps = limits.method_work(name, config, n, n_forget, classes)
    return m.work_seconds(forwards, steps, method=True)


def sweep_cost(scenario: Scenario, data: Dataset, n_forget: int, cells: int, with_retrain: bool = True,
               method: str = "jit", configs=None) -> Cost:
    """A sweep: ``cells`` runs of ``method``, each evaluated once; each at its own config of ``configs`` (the
    sweep's grid) when given, else at the scenario's settings."""
    m, n, evaluation = _sizes(scenario, data)
    configs = list(configs) if configs is not None else [pipeline.method_config(scenario, method)] * cells
    parts = {"cells": sum(_method(method, config, m, n, n_forget, data.n_classes) + evaluation for config in configs)}
    if with_retrain:
        parts["retraining"] = _training(scenario, m, n - n_forget)
    return Cost(parts)


def atlas_cost(scenario: Scenario, data: Dataset, method: str, points: int, loo_seeds: int = 1,
               floor: bool = True) -> Cost:
    """The atlas: the original, then per point a model retrained without it and the method forgetting it. The
    leave-one-out models train in stacks of :data:`explorer.studies.atlas.CHUNK` (full batch): a stack's step
    costs one optimiser step's overhead, shared, and each model's own forwards and parameters. All of it once
    per training seed computed (``loo_seeds``, at least two with the noise floor)."""
    m, n, _ = _sizes(scenario, data)
    batches = limits.batches(n - 1, scenario.train.batch_size)
    loo = scenario.train.epochs * (m.work_seconds(3 * (n - 1), 0) + batches * (m.step_seconds / CHUNK
                                                                                + m.params * PARAM_STEP_SECONDS))
    per_point = loo + _method(method, pipeline.method_config(scenario, method), m, n, 1, data.n_classes)
    grid = m.forward_seconds * (pipeline.grid_points(scenario, data) + len(data.x_test)) * 2  # both models' labels
    seeds = computed_seeds(loo_seeds, floor)
    return Cost({"training": seeds * _training(scenario, m, n), "points": seeds * points * (per_point + grid)})


def study_cost(grid) -> Cost:
    """The calibration study of ``grid`` (a StudyGrid), from the lengths of its axes: never the settings'
    product itself, which may be millions long."""
    settings = len(grid.sigmas) * len(grid.etas) * len(grid.max_step_changes)
    jobs = len(grid.weight_decays) * len(grid.seeds)
    total = Cost()
    for dataset in grid.datasets:
        scenario = default_scenario(dataset)
        data = pipeline.load_data(scenario)
        m, n, evaluation = _sizes(scenario, data)
        boundary = m.forward_seconds * pipeline.grid_points(scenario, data) * EVAL_BOUNDARY_FORWARD
        forget = {"boundary": 1, "interior": 1, "most_informative": 1, "neighbours": NEIGHBOURS,
                  "random_5pct": max(1, round(0.05 * n)), "class": n // data.n_classes}
        one_pass = replace(pipeline.method_config(scenario, "jit"), passes=1)  # a run is linear in its passes
        runs = 0.0
        for kind in grid.kinds:
            k = forget.get(kind, 1)
            _, steps = limits.method_work("jit", one_pass, n, k, data.n_classes)
            per_pass = _method("jit", one_pass, m, n, k, data.n_classes) + steps * boundary
            runs += settings * (sum(int(p) for p in grid.passes) * per_pass
                                + len(grid.passes) * (boundary + evaluation))
        retrain = len(grid.kinds) * (_training(scenario, m, n) + 2 * evaluation)
        total = total + Cost({"training": jobs * (_training(scenario, m, n) + retrain), "runs": jobs * runs})
    return total


EVAL_BOUNDARY_FORWARD = 1.5  # the study's per-step measure: the grid's labels, a forward and an argmax


def checked(cost: Cost, budget: float, what: str) -> None:
    """:func:`explorer.config.cost.check`, as the one-line ScenarioError of the CLI and the pages."""
    try:
        check(cost, budget, what)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
