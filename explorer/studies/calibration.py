"""The calibration study behind JiT's 2D defaults: JiT over a grid of settings × datasets × seeds ×
kinds of forget set, each run measured against the model retrained without the forget set.

Per run (:func:`measure_run`): did JiT collapse the model (test accuracy more than
:data:`explorer.measures.verdict.DAMAGE_MARGIN` below retrain's), did its forget accuracy match retrain's,
how much closer to the retrained model it ended than the untouched original (agreement gain), and
the largest share of the boundary's movement that one recorded step carried. Per cell (one setting,
one kind of forget set, or all kinds) :func:`summarise` gives the rates. :func:`recommend` picks a
setting by the rule stated there.

One job per (dataset, seed, weight decay): the original is trained once, each forget kind is
retrained once, and every JiT setting runs against that reference. Jobs run on
:mod:`explorer.studies.runner` (a process pool by default). ``python -m explorer calibrate`` is the entry.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from explorer.measures import verdict as V

FORGET_KINDS = ("boundary", "interior", "most_informative", "neighbours", "random_5pct", "class")
STUDY_DATASETS = ("moons", "circles", "xor", "spiral", "blobs", "two_blobs")
NEIGHBOURS = 5  # the "neighbours" kind: a seeded random training point and its 4 nearest neighbours
MOVEMENT_SHARE = 0.5  # a run "moves, not jumps" when no step carries more than this share of the movement
SETTING_FIELDS = ("sigma", "eta", "passes", "max_step_change", "weight_decay")


@dataclass(frozen=True)
class StudyGrid:
    """What the study runs: every combination of the setting axes on every dataset × seed × kind."""

    sigmas: tuple[float, ...] = (0.1, 0.2, 0.4)
    etas: tuple[float, ...] = (0.002, 0.02, 0.1)
    passes: tuple[int, ...] = (30,)
    max_step_changes: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1)  # JiT's step guard (0 = off)
    weight_decays: tuple[float, ...] = (0.0,)  # of the original's training recipe: how steep it is
    datasets: tuple[str, ...] = STUDY_DATASETS
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    kinds: tuple[str, ...] = FORGET_KINDS

    def validate(self) -> None:
        from toy_data import dataset_names

        for name in ("sigmas", "etas", "passes", "max_step_changes", "weight_decays", "datasets", "seeds", "kinds"):
            if not getattr(self, name):
                raise ValueError(f"the study needs at least one value for {name.replace('_', ' ')}")
        unknown = [k for k in self.kinds if k not in FORGET_KINDS]
        if unknown:
            raise ValueError(f"unknown forget kind {unknown[0]!r}; choose from {', '.join(FORGET_KINDS)}")
        bad = [d for d in self.datasets if d not in dataset_names() or d in ("digits", "faces")]
        if bad:
            raise ValueError(f"the study runs on the 2D toys; {bad[0]!r} is not one")
        for sigma, eta, passes, guard in itertools.product(self.sigmas, self.etas, self.passes,
                                                           self.max_step_changes):
            _jit_config(sigma, eta, passes, guard)  # built, so checked against JiT's declarations
        if any(not (w >= 0 and np.isfinite(w)) for w in self.weight_decays):
            raise ValueError("weight decays must be finite and >= 0")
        if any(not 0 <= s < 2**32 for s in self.seeds):
            raise ValueError("seeds must be between 0 and 2**32 - 1")

    def settings(self) -> list[dict]:
        """The JiT settings of one job (the weight decay belongs to the job: it shapes the original)."""
        return [dict(sigma=s, eta=e, passes=p, max_step_change=g)
                for s, e, p, g in itertools.product(self.sigmas, self.etas, self.passes, self.max_step_changes)]

    @property
    def n_runs(self) -> int:
        return (len(self.settings()) * len(self.weight_decays) * len(self.datasets) * len(self.seeds)
                * len(self.kinds))


def _jit_config(sigma, eta, passes, guard):
    from explorer.config.jit import JiTConfig

    return JiTConfig(sigma=float(sigma), eta=float(eta), passes=int(passes), max_step_change=float(guard))


# ---- what one run measures ----------------------------------------------------------------------

@dataclass(frozen=True)
class RunMeasures:
    collapsed: bool  # test accuracy more than DAMAGE_MARGIN below retrain's
    forget_matched: bool  # forget accuracy within FORGET_MATCH of retrain's
    agreement_gain: float  # agreement with retrain, minus the untouched original's
    moved: bool  # the boundary changed on at least MOVED_AT of the evaluation grid at some step
    max_step_share: float  # the largest |Δ boundary change| of one recorded step / the largest change (NaN if not moved)

    @property
    def gradual(self) -> bool:
        return self.moved and self.max_step_share <= MOVEMENT_SHARE


def max_step_share(boundary_change: Sequence[float]) -> float:
    """The largest change of ``boundary_change`` between two recorded steps, as a share of its
    largest value (the trajectory starts at 0: the original). NaN when the boundary never moved."""
    values = np.asarray(boundary_change, dtype=float)
    values = values[np.isfinite(values)]
    peak = values.max(initial=0.0)
    if len(values) < 2 or peak <= 0:
        return float("nan")
    return float(np.abs(np.diff(values)).max() / peak)


def measure_run(boundary_change: Sequence[float], final: dict, original: dict, retrain: dict) -> RunMeasures:
    """The study's measures of one run from its recorded boundary change and its final metrics."""
    peak = float(np.nanmax(np.asarray(boundary_change, dtype=float), initial=0.0))
    return RunMeasures(
        collapsed=V.damaged(final.get("test_acc"), retrain.get("test_acc")),
        forget_matched=V.forget_matches(final.get("forget_acc"), retrain.get("forget_acc")),
        agreement_gain=float(final.get("agreement_with_retrain", np.nan) - original.get("agreement_with_retrain", np.nan)),
        moved=peak >= V.MOVED_AT,
        max_step_share=max_step_share(boundary_change) if peak >= V.MOVED_AT else float("nan"),
    )


# ---- one job: a dataset, a seed, a weight decay ---------------------------------------------------

def forget_ids(kind: str, data, train_probs: np.ndarray, seed: int) -> list[int]:
    """The forget set of one kind, chosen as the app's presets choose it (seeded)."""
    from explorer.config import selection

    if kind == "boundary":
        return selection.boundary_point(data, train_probs)
    if kind == "interior":
        return selection.deep_point(data, train_probs)
    if kind == "most_informative":
        return selection.highest_information(data, 1)
    if kind == "neighbours":
        anchor = int(np.random.default_rng(seed).integers(len(data.x_train)))
        dist = ((data.x_train - data.x_train[anchor]) ** 2).sum(axis=1)
        return sorted(int(i) for i in np.argsort(dist, kind="stable")[:NEIGHBOURS])
    if kind == "random_5pct":
        return selection.random_percent(data, 5, seed)
    if kind == "class":
        return selection.whole_class(data, 0)
    raise ValueError(f"unknown forget kind {kind!r}; choose from {', '.join(FORGET_KINDS)}")


def study_job(dataset: str, seed: int, weight_decay: float, kinds: Sequence[str], settings: Sequence[dict]
              ) -> list[dict]:
    """Every JiT setting on every kind of forget set of one trained original; one row per run."""
    from explorer import pipeline
    from explorer.engine.models import logits, predict_proba
    from explorer.config.scenario import ForgetSpec, default_scenario
    from explorer.unlearning import RunContext, run_method

    base = default_scenario(dataset, seed=seed)
    base = replace(base, train=replace(base.train, weight_decay=float(weight_decay)), device="cpu")
    trained = pipeline.train_original(base)
    train_probs = predict_proba(trained.model, trained.data.x_train)
    rows = []
    for kind in kinds:
        ids = forget_ids(kind, trained.data, train_probs, seed)
        scenario = replace(base, forget=ForgetSpec(ids=tuple(ids)))
        retrain, _, _ = pipeline.retrain_reference(scenario, trained, ids)
        evaluator = pipeline.make_evaluator(scenario, trained, ids, retrain)
        original, _ = evaluator.evaluate(trained.model)
        reference, _ = evaluator.evaluate(retrain)

        def boundary_only(model, _with_probs=False):
            # Per step the study needs only the boundary change; every metric is measured once at the end.
            labels = logits(model, trained.eval_inputs).argmax(1).numpy()
            return {"boundary_change": float((labels != evaluator.original_labels).mean())}, None

        for setting in settings:
            config = pipeline.method_config(replace(scenario, configs={"jit": dict(setting)}), "jit")
            result = run_method("jit", trained.model, trained.data, ids, config,
                                RunContext(device=trained.device, seed=seed, evaluate=boundary_only))
            trajectory = result.trajectory
            final, _ = evaluator.evaluate(result.model)
            measures = measure_run(trajectory.metric("boundary_change"), final, original, reference)
            rows.append({
                "dataset": dataset, "seed": seed, "weight_decay": float(weight_decay), "kind": kind,
                "forget_size": len(ids), **setting, **asdict(measures),
                "test_acc": final["test_acc"], "retrain_test_acc": reference["test_acc"],
                "forget_acc": final["forget_acc"], "retrain_forget_acc": reference["forget_acc"],
                "stopped": trajectory.stopped is not None,
            })
    return rows


# ---- summaries ------------------------------------------------------------------------------------

@dataclass
class Cell:
    """The rates of one setting on one kind of forget set (``kind`` "all": every kind)."""

    sigma: float
    eta: float
    passes: int
    max_step_change: float
    weight_decay: float
    kind: str
    runs: int
    collapse_rate: float
    forget_match_rate: float
    agreement_gain: float  # mean over runs
    closer_rate: float  # share of runs ending closer to retrain than the untouched original
    moved_runs: int
    gradual_rate: float  # share of moving runs in which no step carried more than MOVEMENT_SHARE
    max_step_share: float  # mean over moving runs of the largest single-step share

    @property
    def setting(self) -> dict:
        return {name: getattr(self, name) for name in SETTING_FIELDS}


def _cell(setting: tuple, kind: str, rows: list[dict]) -> Cell:
    moved = [r for r in rows if r["moved"]]
    return Cell(**dict(zip(SETTING_FIELDS, setting)), kind=kind, runs=len(rows),
                collapse_rate=float(np.mean([r["collapsed"] for r in rows])),
                forget_match_rate=float(np.mean([r["forget_matched"] for r in rows])),
                agreement_gain=float(np.nanmean([r["agreement_gain"] for r in rows])),
                closer_rate=float(np.mean([r["agreement_gain"] > 0 for r in rows])),
                moved_runs=len(moved),
                gradual_rate=float(np.mean([r["max_step_share"] <= MOVEMENT_SHARE for r in moved])) if moved else float("nan"),
                max_step_share=float(np.mean([r["max_step_share"] for r in moved])) if moved else float("nan"))


def summarise(rows: list[dict]) -> list[Cell]:
    """One cell per (setting, kind) and one per setting over all kinds (kind "all")."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        setting = tuple(row[name] for name in SETTING_FIELDS)
        groups.setdefault((setting, row["kind"]), []).append(row)
        groups.setdefault((setting, "all"), []).append(row)
    return [_cell(setting, kind, group) for (setting, kind), group in groups.items()]


def recommend(cells: list[Cell]) -> Cell | None:
    """The setting the explorer's defaults come from, over all kinds of forget set: among settings whose
    moving runs are gradual in at least 80 % of cases, the highest (forget-match rate − collapse rate);
    ties go to the higher agreement gain. None when no setting moves gradually often enough."""
    candidates = [c for c in cells if c.kind == "all" and c.moved_runs and c.gradual_rate >= 0.8]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (round(c.forget_match_rate - c.collapse_rate, 6), c.agreement_gain))


@dataclass
class StudyResult:
    grid: StudyGrid
    rows: list[dict]
    cells: list[Cell] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    backend: str = "serial"

    def to_dict(self) -> dict:
        best = recommend(self.cells)
        from explorer.pipeline import _clean  # NaN (a run that never moved) -> null: strict JSON

        return _clean({"grid": asdict(self.grid), "seconds": self.seconds, "workers": self.workers,
                       "backend": self.backend, "thresholds": V.thresholds(), "movement_share": MOVEMENT_SHARE,
                       "recommended": best.setting if best else None,
                       "cells": [asdict(c) for c in self.cells], "runs": self.rows})


def run_study(grid: StudyGrid, backend: str = "auto", workers: int | None = None,
              progress: Callable[[int, int], None] | None = None, address: str | None = None) -> StudyResult:
    """Every job of ``grid`` on :mod:`explorer.studies.runner`'s ``backend`` (``address``: a Ray cluster)."""
    from explorer.studies.runner import default_workers, run_jobs

    grid.validate()
    settings = grid.settings()
    jobs = [(d, s, w, grid.kinds, settings) for w in grid.weight_decays for d in grid.datasets for s in grid.seeds]
    start = time.perf_counter()
    workers = min(default_workers() if workers is None else max(1, workers), len(jobs))
    info: dict = {}
    per_job = run_jobs(study_job, jobs, backend, workers, progress, address=address, info=info)
    rows = [row for job_rows in per_job for row in job_rows]
    return StudyResult(grid, rows, summarise(rows), time.perf_counter() - start, info.get("workers", workers),
                       info.get("backend", backend))


# ---- the README's tables ----------------------------------------------------------------------------

def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.0f} %"


def markdown(cells: list[Cell]) -> str:
    """Two tables: every setting over all kinds, and the recommended setting per kind of forget set."""
    lines = ["| σ | η | passes | step guard | weight decay | runs | collapse | forget = retrain | agreement gain "
             "| closer than original | moving runs gradual |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    overall = sorted((c for c in cells if c.kind == "all"), key=lambda c: tuple(c.setting.values()))
    best = recommend(cells)
    for c in overall:
        mark = " **(recommended)**" if best is not None and c.setting == best.setting else ""
        lines.append(f"| {c.sigma:g} | {c.eta:g} | {c.passes} | {c.max_step_change:g} | {c.weight_decay:g} | {c.runs} "
                     f"| {_pct(c.collapse_rate)} | {_pct(c.forget_match_rate)} | {c.agreement_gain:+.4f} "
                     f"| {_pct(c.closer_rate)} | {_pct(c.gradual_rate)} of {c.moved_runs}{mark} |")
    if best is not None:
        lines += ["", f"The recommended setting (σ {best.sigma:g}, η {best.eta:g}, {best.passes} passes, step guard "
                      f"{best.max_step_change:g}, weight decay {best.weight_decay:g}) per kind of forget set:", "",
                  "| forget set | runs | collapse | forget = retrain | agreement gain | closer than original "
                  "| moving runs gradual |", "|---|---|---|---|---|---|---|"]
        for c in cells:
            if c.kind != "all" and c.setting == best.setting:
                lines.append(f"| {c.kind} | {c.runs} | {_pct(c.collapse_rate)} | {_pct(c.forget_match_rate)} "
                             f"| {c.agreement_gain:+.4f} | {_pct(c.closer_rate)} | {_pct(c.gradual_rate)} of {c.moved_runs} |")
    else:
        lines += ["", "No setting moved the boundary gradually in at least 80 % of its moving runs."]
    return "\n".join(lines)
