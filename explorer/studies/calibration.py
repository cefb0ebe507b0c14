"""The calibration study behind JiT's 2D defaults: JiT over a grid of settings × datasets × seeds ×
kinds of forget set, each run measured against the model retrained without the forget set.

Per run (:func:`measure_run`): did JiT collapse the model (test accuracy more than
:data:`explorer.measures.verdict.DAMAGE_MARGIN` below retrain's), did its forget accuracy match retrain's,
how much closer to the retrained model it ended than the untouched original (agreement gain), and
the largest share of the boundary's movement that one recorded step carried. Per cell (one setting,
one kind of forget set, or all kinds) :func:`summarise` gives the rates. :func:`recommend` picks a
setting by the rule stated there.

One job per (dataset, seed, weight decay): the original is trained once, each forget kind is
retrained once (kinds of one forget-set size in one stack), and every JiT setting runs against that
reference, as cells of the study primitive (:func:`explorer.studies.study.run_cells`). Jobs run on
:mod:`explorer.studies.runner` (a process pool by default). ``python -m explorer calibrate`` is the entry.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from explorer import pipeline
from explorer.config import selection
from explorer.config.declare import check
from explorer.config.echo import shown
from explorer.config.scenario import ForgetSpec
from explorer.engine.models import predict_proba
from explorer.measures import verdict as V
from explorer.pipeline import _clean
from explorer.scenarios import default_scenario
from explorer.studies.runner import default_workers, run_jobs
from explorer.studies.study import Cell as RunCell
from explorer.studies.study import Measures, run_cells
from toy_data import INFO

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
        """Every value of every axis against its declared range (explorer/config/declare.py), one axis at a time:
        never the product of the axes, which may be millions of settings (the budget refuses those first)."""
        for name in ("sigmas", "etas", "passes", "max_step_changes", "weight_decays", "datasets", "seeds", "kinds"):
            if not getattr(self, name):
                raise ValueError(f"the study needs at least one value for {name.replace('_', ' ')}")
        unknown = [k for k in self.kinds if k not in FORGET_KINDS]
        if unknown:
            raise ValueError(f"unknown forget kind {shown(unknown[0])}; choose from {', '.join(FORGET_KINDS)}")
        bad = [d for d in self.datasets if d not in INFO or INFO[d].images or INFO[d].dims != 2]
        if bad:
            raise ValueError(f"the study runs on the 2D toys; {shown(bad[0])} is not one")
        for axis, path in (("sigmas", "jit.sigma"), ("etas", "jit.eta"), ("passes", "jit.passes"),
                           ("step_guards", "jit.max_step_change"), ("weight_decays", "train.weight_decay"),
                           ("seeds", "seed")):
            for value in getattr(self, "max_step_changes" if axis == "step_guards" else axis):
                try:
                    check(path, value)
                except ValueError as err:
                    raise ValueError(f"--{axis.replace('_', '-')}: {err}") from None

    def settings(self) -> list[dict]:
        """The JiT settings of one job (the weight decay belongs to the job: it shapes the original)."""
        return [dict(sigma=s, eta=e, passes=p, max_step_change=g)
                for s, e, p, g in itertools.product(self.sigmas, self.etas, self.passes, self.max_step_changes)]

    @property
    def n_runs(self) -> int:
        """How many JiT runs, from the axes' lengths (without building a possibly huge list of settings)."""
        return math.prod(len(getattr(self, axis)) for axis in ("sigmas", "etas", "passes", "max_step_changes",
                                                                "weight_decays", "datasets", "seeds", "kinds"))


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
    """Every JiT setting on every kind of forget set of one trained original; one row per run. The original is
    trained first (the kinds' forget sets are chosen from its predictions), then every (kind, setting) is a cell
    of the study primitive (:func:`explorer.studies.study.run_cells`): each kind retrained once, the boundary
    change recorded at every step, every metric measured at the end."""
    base = default_scenario(dataset, seed=seed)
    # the method seed is the study's seed (the evaluator's probe seed with it; no row reads the probe)
    base = replace(base, train=replace(base.train, weight_decay=float(weight_decay)), device="cpu", seed=seed)
    trained = pipeline.train_original(base)
    train_probs = predict_proba(trained.model, trained.data.x_train)
    cells = []
    for kind in kinds:
        ids = forget_ids(kind, trained.data, train_probs, seed)
        scenario = replace(base, forget=ForgetSpec(ids=tuple(ids)))
        for setting in settings:
            config = pipeline.method_config(replace(scenario, configs={"jit": dict(setting)}), "jit")
            cells.append(RunCell(scenario, tuple(ids), "jit", config, key=(kind, setting)))
    results = run_cells(cells, Measures(final=None, steps=("boundary_change",), models=True),
                        trained={cells[0].original_key: trained} if cells else {})
    rows = []
    for r in results:
        if r.error:
            raise r.exception
        kind, setting = r.cell.key
        ids = list(r.cell.forget_ids)
        labels_before = train_probs[ids].argmax(1)
        measures = measure_run(r.trajectory.metric("boundary_change"), r.metrics, r.original, r.retrain)
        rows.append({
            "dataset": dataset, "seed": seed, "weight_decay": float(weight_decay), "kind": kind,
            "forget_size": len(ids), **setting, **asdict(measures),
            "test_acc": r.metrics["test_acc"], "retrain_test_acc": r.retrain["test_acc"],
            "forget_acc": r.metrics["forget_acc"], "retrain_forget_acc": r.retrain["forget_acc"],
            # informative runs: retraining changes the label of some forget point (else "forget as
            # retraining does" is met by changing nothing)
            "retrain_flips": float((predict_proba(r.retrain_model, trained.data.x_train[ids]).argmax(1)
                                    != labels_before).mean()),
            "flips": float((predict_proba(r.model, trained.data.x_train[ids]).argmax(1) != labels_before).mean()),
            "stopped": r.stopped is not None,
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
    # The informative runs: retraining changes the label of some forget point. Elsewhere "forget = retrain" is
    # met by changing nothing, which a method (or the step guard's caution) earns for free.
    informative_runs: int = 0
    informative_collapse_rate: float = float("nan")
    informative_forget_match_rate: float = float("nan")
    idle_matches: int = 0  # runs matching retrain's forget accuracy where neither retraining nor JiT changed a label
    # The verdict's rule (explorer/measures/verdict.py, judge_movement) on the runs' agreement gains: "toward"
    # or "away" when the paired 95 % t-interval of the mean gain excludes 0, else "within_noise".
    closer_judged: str = "cannot_tell"
    gain_ci95: list | None = None

    @property
    def setting(self) -> dict:
        return {name: getattr(self, name) for name in SETTING_FIELDS}


def informative(row: dict) -> bool:
    """Whether retraining changed the label of some forget point in this run (rows without the count: no)."""
    return (row.get("retrain_flips") or 0) > 0


def _rate(rows: list[dict], field: str) -> float:
    return float(np.mean([r[field] for r in rows])) if rows else float("nan")


def _cell(setting: tuple, kind: str, rows: list[dict]) -> Cell:
    moved = [r for r in rows if r["moved"]]
    telling = [r for r in rows if informative(r)]
    idle = [r for r in rows if r["forget_matched"] and "flips" in r and not informative(r) and not r["flips"]]
    movement = V.judge_movement([r["agreement_gain"] for r in rows])
    return Cell(**dict(zip(SETTING_FIELDS, setting)), kind=kind, runs=len(rows),
                informative_runs=len(telling), informative_collapse_rate=_rate(telling, "collapsed"),
                informative_forget_match_rate=_rate(telling, "forget_matched"), idle_matches=len(idle),
                closer_judged=movement.judged, gain_ci95=list(movement.ci95) if movement.ci95 else None,
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


def score(cell: Cell, informative_only: bool = False) -> float:
    """The rule's score: forget-match rate − collapse rate, over every run or over the informative ones only."""
    if informative_only:
        return cell.informative_forget_match_rate - cell.informative_collapse_rate
    return cell.forget_match_rate - cell.collapse_rate


def recommend(cells: list[Cell], informative_only: bool = False) -> Cell | None:
    """The setting the explorer's defaults come from, over all kinds of forget set: among settings whose
    moving runs are gradual in at least 80 % of cases, the highest :func:`score` (with ``informative_only``: over
    the runs where retraining changes a forget point's label); ties go to the higher agreement gain. None when no
    setting moves gradually often enough (or, informative_only, none has an informative run)."""
    candidates = [c for c in cells if c.kind == "all" and c.moved_runs and c.gradual_rate >= 0.8
                  and (c.informative_runs or not informative_only)]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (round(score(c, informative_only), 6), c.agreement_gain))


@dataclass
class StudyResult:
    grid: StudyGrid
    rows: list[dict]
    cells: list[Cell] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    backend: str = "serial"

    def to_dict(self) -> dict:
        best, best_informative = recommend(self.cells), recommend(self.cells, informative_only=True)

        return _clean({"grid": asdict(self.grid), "seconds": self.seconds, "workers": self.workers,
                       "backend": self.backend, "thresholds": V.thresholds(), "movement_share": MOVEMENT_SHARE,
                       "recommended": best.setting if best else None,
                       "recommended_on_informative_runs": best_informative.setting if best_informative else None,
                       "cells": [asdict(c) for c in self.cells], "runs": self.rows})


def run_study(grid: StudyGrid, backend: str = "auto", workers: int | None = None,
              progress: Callable[[int, int], None] | None = None, address: str | None = None) -> StudyResult:
    """Every job of ``grid`` on :mod:`explorer.studies.runner`'s ``backend`` (``address``: a Ray cluster)."""
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


def _informative(c: Cell) -> str:
    return (f"| {c.informative_runs} | {_pct(c.informative_collapse_rate)} | {_pct(c.informative_forget_match_rate)} "
            f"| {c.idle_matches} ")
def _noise(c: Cell) -> str:
    """The gain judged against run-to-run noise: its 95 % interval and the verdict's word."""
    if c.gain_ci95 is None:
        return "–"
    words = {"toward": "closer", "away": "farther", "within_noise": "within noise"}
    return f"{words.get(c.closer_judged, c.closer_judged)} ({c.gain_ci95[0]:+.4f} to {c.gain_ci95[1]:+.4f})"


def markdown(cells: list[Cell]) -> str:
    """Two tables: every setting over all kinds, and the recommended setting per kind of forget set. Beside the
    rates over every run, the same over the informative runs (retraining changes a forget point's label), and how
    many runs matched retraining's forget accuracy with neither retraining nor JiT changing any label."""
    lines = ["| σ | η | passes | step guard | weight decay | runs | collapse | forget = retrain | agreement gain "
             "| closer than original | gain vs noise | moving runs gradual | informative runs | collapse (informative) "
             "| forget = retrain (informative) | matched by changing nothing |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    overall = sorted((c for c in cells if c.kind == "all"), key=lambda c: tuple(c.setting.values()))
    best, best_informative = recommend(cells), recommend(cells, informative_only=True)
    for c in overall:
        marks = [m for m, b in (("recommended", best), ("recommended on informative runs", best_informative))
                 if b is not None and c.setting == b.setting]
        mark = f" **({', '.join(marks)})**" if marks else ""
        lines.append(f"| {c.sigma:g} | {c.eta:g} | {c.passes} | {c.max_step_change:g} | {c.weight_decay:g} | {c.runs} "
                     f"| {_pct(c.collapse_rate)} | {_pct(c.forget_match_rate)} | {c.agreement_gain:+.4f} "
                     f"| {_pct(c.closer_rate)} | {_noise(c)} | {_pct(c.gradual_rate)} of {c.moved_runs}{mark} {_informative(c)}|")
    for chosen, what in ((best, "the rule over every run"), (best_informative, "the rule over the informative runs")):
        if chosen is None:
            lines += ["", f"No setting qualifies for {what} (moving gradually in at least 80 % of its moving runs)."]
            continue
        lines += ["", f"The setting {what} picks (σ {chosen.sigma:g}, η {chosen.eta:g}, {chosen.passes} passes, step "
                      f"guard {chosen.max_step_change:g}, weight decay {chosen.weight_decay:g}) per kind of forget set:",
                  "", "| forget set | runs | collapse | forget = retrain | agreement gain | closer than original "
                  "| gain vs noise | moving runs gradual | informative runs | collapse (informative) "
                  "| forget = retrain (informative) | matched by changing nothing |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for c in cells:
            if c.kind != "all" and c.setting == chosen.setting:
                lines.append(f"| {c.kind} | {c.runs} | {_pct(c.collapse_rate)} | {_pct(c.forget_match_rate)} "
                             f"| {c.agreement_gain:+.4f} | {_pct(c.closer_rate)} | {_noise(c)} | {_pct(c.gradual_rate)} of "
                             f"{c.moved_runs} {_informative(c)}|")
        if best_informative is not None and best is not None and best_informative.setting == best.setting:
            lines += ["", "Both rules pick the same setting."]
            break
    return "\n".join(lines)
