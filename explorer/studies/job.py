"""One job of the study primitive (:func:`explorer.studies.study.run_cells`): a list of cells of one family
through the stages of a run, batched where it can.

* the originals: one per training seed; several seeds train in one stack
  (:func:`explorer.engine.batched.train_many` from each seed's initial weights), one alone with the ordinary
  trainer (:func:`explorer.stages.train_original`, the one-seed run's own stage);
* the retrain references: one per (seed, forget set); those of one retain-set size train in one stack, one
  alone with :func:`explorer.stages.retrain_reference`;
* the methods: JiT cells of one config and forget-set size run as one loop over their models
  (:func:`explorer.unlearning.jit_stack.jit_many`), every other cell one by one through
  :func:`explorer.unlearning.run_method`; every recorded step of a stack is measured in one batched forward;
* the measurements: each cell's evaluator (:func:`explorer.stages.make_evaluator` with the scenario's seed:
  one instrument — inputs, the Lipschitz probe's noise, the paper's split — for every training seed, rebased
  on each seed's original and retrain reference) and probes.

Whatever is batched gives the models of the one-by-one path up to the order of floating-point sums (tested).
"""
from __future__ import annotations

import logging

import numpy as np
from torch import nn

from explorer.engine.batched import train_many
from explorer.measures.many import measure_many
from explorer.stages import (ProbeEvaluator, Trained, build_initial, check_work, eval_grid, load_data,
                             make_evaluator, method_config, one_line, resolve_device, retrain_reference,
                             seed_scenario, train_original)
from explorer.config.scenario import ScenarioError
from explorer.studies.cells import CellResult
from explorer.unlearning import RunContext, run_method
from explorer.unlearning.base import refusal
from explorer.unlearning.jit_stack import batchable, jit_many


def _stage(stages, label: str):
    return (lambda done, total, *_: stages(label, done / max(total, 1))) if stages else None


def originals(cells, stages=None) -> dict:
    """{original_key: Trained} for the cells' distinct training seeds (one family), several seeds in one stack."""
    by_key = {c.original_key: c for c in cells}
    if not by_key:
        return {}
    first = next(iter(by_key.values()))
    base = first.scenario
    data = load_data(base)
    device = resolve_device(base)
    if len(by_key) == 1:
        return {first.original_key: train_original(seed_scenario(base, first.offset), stages, device, data)}
    scenarios = [seed_scenario(base, c.offset) for c in by_key.values()]
    for scenario in scenarios:
        check_work(scenario, data, 0, methods=False)
    initials = [build_initial(s, data) for s in scenarios]
    masks = np.ones((len(initials), len(data.x_train)), dtype=bool)
    try:
        stack, histories = train_many(initials, data.x_train, data.y_train, masks, base.train, device,
                                      _stage(stages, "training the original models"),
                                      seeds=[s.train.seed for s in scenarios])
    except FloatingPointError as err:
        raise ScenarioError(str(err)) from None
    grid = eval_grid(base, data)
    return {key: Trained(data, initial.to(device), stack.model(j).to(device), histories[j], device, grid)
            for j, (key, initial) in enumerate(zip(by_key, initials))}


def retrain_references(cells, trained: dict, stages=None) -> dict:
    """{retrain_key: (model, seconds)} for the cells' distinct (seed, forget set) pairs; the pairs whose retain
    sets have one size train in one stack."""
    by_key = {c.retrain_key: c for c in cells}
    out = {}
    groups: dict[int, list] = {}
    for key, cell in by_key.items():
        groups.setdefault(len(trained[cell.original_key].data.x_train) - len(set(cell.forget_ids)), []).append(key)
    for keys in groups.values():
        if len(keys) == 1:
            cell = by_key[keys[0]]
            model, _, seconds = retrain_reference(seed_scenario(cell.scenario, cell.offset),
                                                  trained[cell.original_key], cell.forget_ids, stages)
            out[keys[0]] = (model, seconds)
            continue
        models = [trained[by_key[k].original_key] for k in keys]
        data = models[0].data
        masks = np.ones((len(keys), len(data.x_train)), dtype=bool)
        for j, key in enumerate(keys):
            masks[j, list(by_key[key].forget_ids)] = False
        try:
            stack, histories = train_many([t.initial for t in models], data.x_train, data.y_train, masks,
                                          by_key[keys[0]].scenario.train, models[0].device,
                                          _stage(stages, "retraining without the forget set"),
                                          seeds=[by_key[k].train_seed for k in keys])
        except FloatingPointError as err:
            raise ScenarioError(str(err)) from None
        for j, key in enumerate(keys):
            out[key] = (stack.model(j).to(models[0].device), histories[j].seconds)
    return out


def run_job(cells, measures, trained: dict, retrains: dict, stages=None, memo: dict | None = None) -> list:
    """Every cell of one family (module level: workers import it). ``memo``: references built by earlier jobs of
    the same study in this process (shared by in-process jobs; a worker process gets its own copy)."""
    memo = {} if memo is None else memo
    for t in trained.values():  # a worker process got them on the CPU
        t.model.to(t.device)
        t.initial.to(t.device)
    if retrains:
        device = next(iter(trained.values())).device if trained else resolve_device(cells[0].scenario)
        for model, _ in retrains.values():
            model.to(device)
    trained = {**trained, **originals([c for c in cells if c.original_key not in trained], stages)}
    retrains = {**retrains, **retrain_references([c for c in cells if c.retrain_key not in retrains], trained,
                                                 stages)}
    refs, results = {}, {}
    for cell in cells:
        key = (cell.retrain_key, id(measures))
        if key not in memo:
            memo[key] = _references(cell, trained[cell.original_key], retrains[cell.retrain_key], measures,
                                    memo.setdefault("evaluators", {}))
        refs[cell.retrain_key] = memo[key]
    batches, alone = _batches(cells, trained, refs)
    for group in batches:
        results.update(_run_stacked(group, trained, refs, measures, stages))
    for cell in alone:
        results[id(cell)] = _run_alone(cell, trained[cell.original_key], refs[cell.retrain_key], measures, stages)
    out = []
    for cell in cells:
        ref = refs[cell.retrain_key]
        t = trained[cell.original_key]
        values = dict(retrain_seconds=retrains[cell.retrain_key][1], history=t.history, reference_probes=ref["probes"],
                      slices=ref["measurer"].slices, margins=dict(ref["margins"]))
        if measures.models:
            values.update(trained=t, retrain_model=ref["retrain"], evaluator=ref["evaluator"])
        values.update(results.get(id(cell), {}))
        out.append(CellResult(cell, ref["metrics"]["original"], ref["metrics"]["retrain"], **values))
    return out


def _references(cell, trained: Trained, retrain, measures, bases: dict) -> dict:
    """The cell's evaluator against its own seed's original and retrain reference, its step measurer, and
    both references' metrics (and probes). The measuring instrument is the scenario's whatever the seed: one
    evaluator per forget set (its inputs, the Lipschitz probe's noise and the paper's split, from the scenario's
    seed) rebased on each seed's models."""
    model, _ = retrain
    base_key = (cell.family, tuple(sorted(cell.forget_ids)))
    if base_key not in bases:
        bases[base_key] = make_evaluator(cell.scenario, trained, list(cell.forget_ids), model)
        evaluator = bases[base_key]
    else:
        evaluator = bases[base_key].rebased(trained.model, model)
    measurer = ProbeEvaluator(evaluator, measures.probes, trained,
                              names=measures.final if measures.steps is None else measures.steps)
    final = ProbeEvaluator(evaluator, measures.probes, trained, names=measures.final)
    out = {"evaluator": evaluator, "measurer": measurer, "final": final, "retrain": model, "metrics": {},
           "probes": {}, "margins": {}}
    for name, net in (("original", trained.model), ("retrain", model)):
        metrics, probs = final(net, with_probs=bool(measures.probes), final=True)
        out["metrics"][name], out["probes"][name] = metrics, final.cut(probs)
        if measures.margins:
            out["margins"][name] = evaluator.margins(evaluator.logits(net))
    return out


def _batches(cells, trained: dict, refs: dict):
    """JiT cells of one config and forget-set size, two or more, batch; every other cell runs alone."""
    groups: dict = {}
    alone = []
    for cell in cells:
        if cell.method is None:
            continue
        config = cell.config if cell.config is not None else _config(cell)
        if cell.method == "jit" and config is not None and batchable(trained[cell.original_key].model, config) is None \
                and refusal(cell.method, trained[cell.original_key].data, cell.forget_ids) is None:
            groups.setdefault((repr(config), len(set(cell.forget_ids))), []).append(cell)
        else:
            alone.append(cell)
    batches = [g for g in groups.values() if len(g) > 1]
    alone += [g[0] for g in groups.values() if len(g) == 1]
    return batches, alone


def _config(cell):
    try:
        return method_config(seed_scenario(cell.scenario, cell.offset), cell.method)
    except ScenarioError:
        return None


def _run_alone(cell, trained: Trained, ref: dict, measures, stages) -> dict:
    scenario = seed_scenario(cell.scenario, cell.offset)
    record = measures.steps != ()
    ctx = RunContext(device=trained.device, seed=scenario.seed, evaluate=ref["measurer"] if record else None,
                     record_every=scenario.record_every, record_probs=record and bool(measures.probes),
                     initial_model=trained.initial, progress=_stage(stages, f"running {cell.method}"))
    try:
        why = refusal(cell.method, trained.data, cell.forget_ids)
        if why:
            raise ScenarioError(why)
        config = cell.config if cell.config is not None else method_config(scenario, cell.method)
        result = run_method(cell.method, trained.model, trained.data, list(cell.forget_ids), config, ctx)
        return _finish(result.model, result.trajectory, result.seconds, ref, measures)  # may find outputs overflow
    except Exception as err:  # noqa: BLE001 - a cell's failure is its result; the caller decides what it means
        return _failure(err)


def _run_stacked(group, trained: dict, refs: dict, measures, stages) -> dict:
    first = group[0]
    config = first.config if first.config is not None else _config(first)
    models = [trained[c.original_key].model for c in group]
    device = trained[first.original_key].device
    x = np.stack([trained[c.original_key].data.x_train[sorted(set(c.forget_ids))] for c in group])
    record = measures.steps != ()
    measurers = [refs[c.retrain_key]["measurer"] for c in group]
    try:
        many = jit_many(models if len({id(m) for m in models}) > 1 else models[0], x, config, device,
                        seeds=[seed_scenario(c.scenario, c.offset).seed for c in group],
                        evaluate_many=(lambda stack, ks, wp: measure_many([measurers[k] for k in ks], stack, wp))
                        if record else None,
                        record_every=first.scenario.record_every, record_probs=record and bool(measures.probes),
                        progress=_stage(stages, "running jit"))
    except Exception as err:  # noqa: BLE001 - as one by one: each cell's failure is its result
        return {id(c): _failure(err) for c in group}
    finals = [None] * len(group)
    if measures.steps is not None:  # the final models measured in one batched forward
        finals = measure_many([refs[c.retrain_key]["final"] for c in group], many.stack, final=True)
    return {id(c): _finish(many.stack.model(j).to(device), many.trajectories[j], many.seconds, refs[c.retrain_key],
                           measures, finals[j]) for j, c in enumerate(group)}


def _failure(err: Exception) -> dict:
    """A cell whose method failed: one line, and the exception for a caller that re-raises it."""
    if not isinstance(err, (ScenarioError, ValueError)):
        logging.getLogger("explorer").exception("a method failed")
        return {"error": f"failed: {one_line(err)}", "exception": err}
    return {"error": one_line(err), "exception": err}


def _finish(model: nn.Module, trajectory, seconds: float, ref: dict, measures, measured=None) -> dict:
    """The method's final metrics (the trajectory's last record when every metric was recorded at every step,
    else ``measured`` or measured here on the final model), its margins, and the thinned trajectory."""
    if isinstance(measured, Exception):
        measured = None  # outputs that overflow: measured alone, where the error is the metric's to report
    if measures.steps is None and trajectory.points and trajectory.final.metrics:
        trajectory.final.metrics.update(ref["final"].final_only(model))  # the steps skip the final-only metrics
        metrics = dict(trajectory.final.metrics)
    elif measured is not None:
        metrics = measured[0]
    else:
        metrics, _ = ref["final"](model, final=True)
    out = {"metrics": metrics, "seconds": seconds,
           "trajectory": trajectory.thinned(measures.max_frames) if measures.max_frames else trajectory}
    if measures.margins:
        evaluator = ref["evaluator"]
        out["margins"] = {**ref["margins"], "method": evaluator.margins(evaluator.logits(model))}
    if measures.models:
        out["model"] = model
    return out
