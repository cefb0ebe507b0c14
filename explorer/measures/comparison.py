"""Compare methods with the retrained reference: pure functions over a report's ``"models"``.

The gap of a metric is ``method − retrain`` (signed; the table shows it next to the value). The
summary ``avg_gap`` is SalUn's "Avg. Gap" (Fan et al., arXiv 2310.12508, "SalUn"): the mean *absolute* gap
over retain, forget (= 1 − UA) and test accuracy and SalUn's own MIA-Efficacy (``mia_efficacy``: an SVC on the
true-class confidence, OPTML-Group/Unlearn-Saliency evaluation/SVC_MIA.py — not the JiT paper's entropy
attack, ``mia``): 0 means indistinguishable from retraining on those four numbers. Missing values (None/NaN)
give None.

Which metrics there are, and in what order, is the registry's (:mod:`explorer.measures.metrics`): the rows
and the CSV pick up a metric registered at run time.
"""
from __future__ import annotations

import csv
import io
import math
import numbers
from typing import Any, Mapping

from explorer.measures.metrics import metric_names as registered_names
from explorer.unlearning import METHODS

AVG_GAP_METRICS = ("retain_acc", "forget_acc", "test_acc", "mia_efficacy")
REFERENCE = "retrain"
NOT_METHODS = ("original",)  # rows that are not unlearning methods (no data-access declaration)


def _number(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def gaps(metrics: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, float | None]:
    """Signed gap ``metrics[m] − reference[m]`` for every metric present in ``metrics``."""
    out = {}
    for name, value in metrics.items():
        a, b = _number(value), _number(reference.get(name))
        out[name] = None if a is None or b is None else a - b
    return out


def avg_gap(metrics: Mapping[str, Any], reference: Mapping[str, Any],
            over: tuple[str, ...] = AVG_GAP_METRICS) -> float | None:
    """Mean absolute gap to the reference over ``over`` (SalUn's Avg. Gap); None if any is missing."""
    diffs = gaps({m: metrics.get(m) for m in over}, reference)
    if any(d is None for d in diffs.values()):
        return None
    return sum(abs(d) for d in diffs.values()) / len(over)


def _access(name: str):
    spec = METHODS.get(name)
    return None if spec is None else spec.access


def comparison_rows(models: Mapping[str, Mapping[str, Any]], metric_names: list[str] | None = None) -> list[dict]:
    """One row per model of a report's ``"models"`` (original, retrain, then each method in order).

    Each row has ``method``, ``label`` (the report's, else the name), ``zero_shot`` (None for the original, which is not a method), ``uses``
    (the data-access description), ``seconds``, ``stopped`` (divergence note or None), every metric,
    ``gap_<metric>`` (signed, vs retrain; None without a retrain entry) and ``avg_gap``.

    Without ``metric_names`` the metrics are every one present in ``models``: the registry's "table"
    metrics first, in their order, then the other registered ones, then unregistered names sorted.
    """
    reference = (models.get(REFERENCE) or {}).get("metrics")
    names = metric_names or _metric_order(models)
    rows = []
    for method, entry in models.items():
        metrics = entry.get("metrics") or {}
        access = None if method in NOT_METHODS else _access(method)
        row: dict[str, Any] = {
            "method": method,
            "label": entry.get("label") or method,  # how the user reads it ("JiT with step guard 0.05")
            "zero_shot": None if access is None else access.zero_shot,
            "uses": "—" if access is None else access.describe(),
            "seconds": _number(entry.get("seconds")),
            "stopped": entry.get("stopped"),
        }
        diff = gaps(metrics, reference) if reference is not None else {}
        for name in names:
            row[name] = _number(metrics.get(name))
            row[f"gap_{name}"] = diff.get(name)
        row["avg_gap"] = avg_gap(metrics, reference) if reference is not None else None
        rows.append(row)
    return rows


def _metric_order(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    present = {name for entry in models.values() for name in (entry.get("metrics") or {})}
    table = registered_names("table")
    registered = [*table, *(m for m in registered_names() if m not in table)]
    return [m for m in registered if m in present] + sorted(present - set(registered))


def metrics_csv(models: Mapping[str, Mapping[str, Any]],
                trajectories: Mapping[str, list[dict]] | None = None) -> str:
    """Every metric of every model as CSV text.

    Columns: ``model, step, epoch, loss``, then every registered metric's name (the registry's order),
    then any other metric name found in the data (sorted), then ``label`` (how the model is named to a reader:
    the report's label, e.g. "JiT with step guard 0.05", else its name). Rows: one per recorded step of each method
    that has a trajectory (``trajectories``: name -> the Trajectory's ``to_list()``, each point
    ``{"step", "epoch", "loss", "metrics"}``; without it, each model's own ``"trajectory"`` entry, as
    in a report), then one per model of ``models`` (original, retrain, each method) with its final
    metrics and step, epoch and loss empty. A missing or NaN value is an empty cell.
    """
    if trajectories is None:
        trajectories = {name: entry["trajectory"] for name, entry in models.items() if entry.get("trajectory")}
    steps = [(name, point) for name, points in trajectories.items() for point in points or []]
    finals = [(name, entry.get("metrics") or {}) for name, entry in models.items()]
    names = registered_names()
    present = {m for _, point in steps for m in _point_metrics(point)} | {m for _, mets in finals for m in mets}
    names = names + sorted(present - set(names))
    buf = io.StringIO()
    writer = csv.writer(buf)
    labels = {name: (entry.get("label") or name) for name, entry in models.items()}
    writer.writerow(["model", "step", "epoch", "loss", *names, "label"])
    for name, point in steps:
        values = _point_metrics(point)
        writer.writerow([name, _cell(point.get("step")), _cell(point.get("epoch")), _cell(point.get("loss")),
                         *(_cell(values.get(m)) for m in names), labels.get(name, name)])
    for name, values in finals:
        writer.writerow([name, "", "", "", *(_cell(values.get(m)) for m in names), labels[name]])
    return buf.getvalue()


def _point_metrics(point: Mapping[str, Any]) -> Mapping[str, Any]:
    return point.get("metrics") or {}


def _cell(value) -> Any:
    if value is None:
        return ""
    if isinstance(value, numbers.Integral):  # steps and epochs stay integers
        return int(value)
    number = _number(value)
    return "" if number is None else number


def rank_by_avg_gap(rows: list[dict]) -> list[dict]:
    """Methods (not original/retrain) ordered from closest to retrain; rows without a gap last."""
    methods = [r for r in rows if r["method"] not in (REFERENCE, *NOT_METHODS)]
    return sorted(methods, key=lambda r: (r["avg_gap"] is None, r["avg_gap"] if r["avg_gap"] is not None else 0.0))
