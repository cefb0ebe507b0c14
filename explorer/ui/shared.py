"""Pieces both pages use: the method comparison table, refusals, the verdict, the σ×η sweep."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
import streamlit as st

from explorer.config import selection, urlstate
from explorer.engine.device import torch_threads
from explorer.figures.sweep import sweep_figure
from explorer.measures.comparison import comparison_rows
from explorer.measures.metrics import METRICS, metric_names
from explorer.studies.sweep import sweep_jit
from explorer.ui import cache
from explorer.ui.feedback import error_line, progress
from explorer.ui.state import widget_key

ZERO_SHOT = {True: "yes", False: "no", None: "—"}


def comparison_frame(models: Mapping[str, Mapping[str, Any]], shown=None, gaps: bool = True) -> pd.DataFrame:
    """One row per model of a report-style ``{name: {"metrics", "seconds"}}`` (original and retrain
    included): whether the method is zero-shot, SalUn's average gap to retrain and seconds first (they
    stay in view on a narrow page), then each metric shown in tables (the metric registry's choice unless
    ``shown`` says otherwise) with its signed gap to retrain (``<metric> gap``), then what data the method sees."""
    shown = list(shown or metric_names("table"))
    out = []
    for r in comparison_rows(models, shown):
        row = {"method": r["method"], "zero-shot": ZERO_SHOT[r["zero_shot"]], "avg gap to retrain": r["avg_gap"],
               "seconds": r["seconds"]}
        for m in shown:
            row[m] = r[m]
            if gaps:
                row[f"{m} gap"] = r[f"gap_{m}"]
        row["sees"] = r["uses"]
        out.append(row)
    return pd.DataFrame(out)


def comparison_table(models: Mapping[str, Mapping[str, Any]], page: str, name: str, shown=None) -> None:
    """The table as a Streamlit dataframe (metric labels as headers, what each means on hover, the gaps to
    retrain behind a toggle so the table fits the page), then one warning per method that was rolled back."""
    gaps = st.toggle("gaps to retrain", key=widget_key(page, f"{name}.gaps"),
                     help="Add each metric's signed gap to the retrained model (0 = indistinguishable on that number).")
    table = comparison_frame(models, shown, gaps)
    columns = {"avg gap to retrain": st.column_config.NumberColumn(
        "avg gap", format="%.3f", help="SalUn's Avg. Gap: mean |method − retrain| over retain, forget and test "
                                       "accuracy and the MIA (0 = retraining)")}
    for m in (c for c in table.columns if c in METRICS):
        columns[m] = st.column_config.NumberColumn(METRICS[m].short, format="%.3f", help=METRICS[m].better)
        if gaps:
            columns[f"{m} gap"] = st.column_config.NumberColumn(f"{METRICS[m].short} gap", format="%+.3f")
    columns["seconds"] = st.column_config.NumberColumn("seconds", format="%.2f")
    st.dataframe(table, hide_index=True, key=widget_key(page, name), column_config=columns)
    for method, entry in models.items():
        if entry.get("stopped"):
            st.warning(f"{method}: {entry['stopped']}")


def refusals(refused: Mapping[str, str]) -> None:
    """One line per compared method that did not run, and why."""
    for name, reason in refused.items():
        st.info(f"{name} did not run: {reason}")


def parse_floats(text: str) -> list[float]:
    """Comma- (or semicolon-) separated numbers; ValueError with a one-line hint otherwise."""
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"could not read numbers from {text!r}; write them comma-separated, e.g. 0.1, 0.5") from None


def show_verdict(verdict) -> None:
    """The run's one-sentence verdict: green when it did what retraining does, amber when it damaged the model
    or missed the forgetting, blue when it forgot cleanly but its boundary went away from retraining's."""
    box = st.warning if verdict.damaged or verdict.forgetting in ("did_not_forget", "forgot_more") else (
        st.info if verdict.direction == "away" else st.success)
    box(f"**Verdict:** {verdict.sentence}")


def run_sweep(scenario, trained, forget_ids, sigmas: str, etas: str, retrain, report):
    """JiT once per (σ, η) cell, σ and η as the user typed them (comma-separated)."""
    grid = parse_floats(sigmas), parse_floats(etas)
    with torch_threads():
        return sweep_jit(scenario, trained, forget_ids, grid[0], grid[1], retrain=retrain,
                         progress=lambda done, total: report(f"{done}/{total} cells", done / max(total, 1)))


def sweep_chart(result, key: str, metrics=("retain_acc", "forget_acc"), title: str | None = None) -> None:
    fig = sweep_figure(result, metrics=metrics, height=400, title=title or (
        f"JiT over σ×η ({len(result.sigmas)}×{len(result.etas)} cells, {result.seconds:.1f} s)"))
    fig.update_layout(margin=dict(l=70, r=10, t=70, b=50))  # room for the first panel's η and every σ tick
    st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False})
    if result.retrain_metrics:
        r = result.retrain_metrics
        st.caption(f"Retrained model for reference: forget {r.get('forget_acc', float('nan')):.2f}, retain "
                   f"{r.get('retain_acc', float('nan')):.2f}, test {r.get('test_acc', float('nan')):.2f}. "
                   "avg gap = mean |JiT − retrain| over retain/forget/test accuracy and MIA.")


def trained_or_stop(scenario):
    """The trained original from the shared cache, trained here with a progress bar when it is new; a
    failure (bad settings, a diverging run) is one line and stops the page's run."""
    try:
        if cache.is_trained(scenario):
            return cache.trained_for(scenario)
        with progress("Training the original model") as report:
            return cache.trained_for(scenario, report)
    except Exception as err:  # noqa: BLE001 - say so in one line and stop here
        st.error(error_line("Training the original model", err) + ". Change the settings in the sidebar.")
        st.stop()


def keep_existing_ids(page_state, n: int, noun: str) -> None:
    """Drop the forget ids a training set of ``n`` items does not have, saying which (Undo restores them)."""
    kept, dropped = selection.clip_to_range(page_state.forget.ids, n)
    if dropped:
        page_state.forget = page_state.forget.set(kept)
        st.warning(f"The training set now has {n} {noun}s: kept {len(kept)} forget {noun}(s), dropped "
                   f"{len(dropped)} whose id no longer exists ({urlstate.encode_ids(dropped)}). Undo restores them.")
