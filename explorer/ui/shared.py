"""Pieces both pages use: the method comparison table, refusals, the verdict, the sweep of any method over two
of its settings (σ×η for JiT)."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
import streamlit as st

from explorer import pipeline
from explorer.config import selection
from explorer.config.cost import PAGE_STUDY_BUDGET
from explorer.config.jit import JiTConfig
from explorer.engine.device import torch_threads
from explorer.figures.sweep import setting_label, sweep_figure
from explorer.measures.comparison import comparison_rows
from explorer.measures.metrics import METRICS, metric_names
from explorer.measures.verdict import method_label
from explorer.studies.budget import checked, sweep_cost
from explorer.studies.sweep import default_axes, default_values, numeric_settings, sweep, sweep_grid, sweepable_methods
from explorer.ui import cache, pool
from explorer.ui.feedback import error_line, notice, progress
from explorer.ui.state import widget_key
from explorer.ui.text import HELP

ZERO_SHOT = {True: "yes", False: "no", None: "—"}


def comparison_frame(models: Mapping[str, Mapping[str, Any]], shown=None, gaps: bool = True) -> pd.DataFrame:
    """One row per model of a report-style ``{name: {"metrics", "seconds"}}`` (original and retrain
    included): whether the method is zero-shot, SalUn's average gap to retrain and seconds first (they
    stay in view on a narrow page), then each metric shown in tables (the metric registry's choice unless
    ``shown`` says otherwise) with its signed gap to retrain (``<metric> gap``), then what data the method sees."""
    shown = list(shown or metric_names("table"))
    out = []
    for r in comparison_rows(models, shown):
        row = {"method": r["label"], "zero-shot": ZERO_SHOT[r["zero_shot"]], "avg gap to retrain": r["avg_gap"],
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
                                       "accuracy and SalUn's MIA-Efficacy (0 = retraining)")}
    for m in (c for c in table.columns if c in METRICS):
        columns[m] = st.column_config.NumberColumn(METRICS[m].short, format="%.3f", help=METRICS[m].better)
        if gaps:
            columns[f"{m} gap"] = st.column_config.NumberColumn(f"{METRICS[m].short} gap", format="%+.3f")
    columns["seconds"] = st.column_config.NumberColumn("seconds", format="%.2f")
    st.dataframe(table, hide_index=True, key=widget_key(page, name), column_config=columns)
    for method, entry in models.items():
        if entry.get("stopped"):
            notice(f"{method}: {entry['stopped']}")


def refusals(refused: Mapping[str, str]) -> None:
    """One line per compared method that did not run, and why."""
    for name, reason in refused.items():
        notice(f"{name} did not run: {reason}", "info")


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


def sweep_axes(key, scenario, jit_values: Mapping[str, str], suffix=lambda setting, config: ""):
    """The sweep panel's pickers: the method (every registered method but the retrained reference, JiT first
    chosen), the two settings it varies (σ×η for JiT) and their values, as typed; ``jit_values`` are the page's
    default values of JiT's settings, ``suffix(setting, config)`` ends a value box's widget key (a new default when
    the sidebar's value changes). Returns (method, config, (x, x text), (y, y text)), or None after a one-line
    notice when the method cannot be swept here."""
    methods = sweepable_methods()
    method = st.selectbox("method", methods, index=methods.index("jit"), key=key("ui.sweep.method"),
                          help=HELP["sweep_method"])
    try:
        config = pipeline.method_config(scenario, method)
        default_x, default_y = default_axes(method)
    except ValueError as err:
        notice(error_line("", err), "caption")
        return None
    if method != "jit":  # the panel's words above are JiT's σ×η map
        st.caption(f"{method_label(method)}: one run per cell of the two settings below, its other settings as in the "
                   "sidebar; what the text above says of σ, η, the step guard and the output space is JiT's.")
    numeric = numeric_settings(method)
    c1, c2 = st.columns(2)
    named = {"format_func": lambda setting: setting_label(setting, method)}
    x = c1.selectbox("columns: setting", numeric, index=numeric.index(default_x), key=key(f"ui.sweep.{method}.x"),
                     **named)
    rows = [n for n in numeric if n != x]
    y = c2.selectbox("rows: setting", rows, index=rows.index(default_y) if default_y in rows else 0,
                     key=key(f"ui.sweep.{method}.y"), **named)
    texts, beside = [], None
    for column, setting in ((c1, x), (c2, y)):
        jit = method == "jit" and setting in jit_values
        values = None if jit else default_values(scenario, method, setting, beside)
        default = jit_values[setting] if jit else ", ".join(f"{v:g}" for v in values)
        beside = (setting, values if values is not None else parse_floats(default))  # the rows' values pair with these
        name = f"ui.sweep.{setting}s" if method == "jit" else f"ui.sweep.{method}.{setting}s"
        texts.append(column.text_input(f"{setting_label(setting, method)} values", default,
                                       key=key(name + suffix(setting, config)),
                                       help=HELP.get(f"sweep_{setting}s") if jit else HELP["sweep_values"]))
    return method, config, (x, texts[0]), (y, texts[1])


def run_sweep(scenario, trained, forget_ids, xs: str, ys: str, retrain, report, max_step_change=None,
              method: str = "jit", axes: tuple[str, str] = ("sigma", "eta")):
    """``method`` once per cell of its two settings ``axes`` (σ×η for JiT), their values as the user typed them
    (comma-separated), within the work budget; the cells in the worker pool the sessions share
    (explorer/ui/pool.py) when it is on, else in this thread. ``max_step_change`` overrides JiT's step guard
    (0 = off)."""
    x, y = (axes[0], parse_floats(xs)), (axes[1], parse_floats(ys))
    overrides = None if max_step_change is None else {"max_step_change": float(max_step_change)}
    configs = sweep_grid(scenario, method, x, y, overrides)
    checked(sweep_cost(scenario, trained.data, len(forget_ids), len(configs), with_retrain=retrain is None,
                       method=method, configs=configs.values()),
            PAGE_STUDY_BUDGET, f"this sweep of {len(configs):,} cells")
    with torch_threads():
        return sweep(scenario, trained, forget_ids, method, x, y, retrain=retrain,
                     backend="processes" if pool.enabled(trained.device) else "auto",
                     progress=lambda done, total: report(f"{done}/{total} cells", done / max(total, 1)),
                     overrides=overrides)


def guard_switch(key: str, config, help_text: str) -> float:
    """A toggle for the explorer's step guard (on: the config's guard, or the default 0.05 when it has none);
    returns the max_step_change to run with (0 = off)."""
    on_value = config.max_step_change if config.max_step_change > 0 else JiTConfig().max_step_change
    on = st.toggle(f"step guard {on_value:g} (the explorer's, not the paper's)", value=config.max_step_change > 0,
                   key=key, help=help_text)
    return on_value if on else 0.0


def sweep_chart(result, key: str, metrics=("retain_acc", "forget_acc"), title: str | None = None) -> None:
    fig = sweep_figure(result, metrics=metrics, height=400, title=title or (
        f"{result.label} over {setting_label(result.x, result.method)}×{setting_label(result.y, result.method)} "
        f"({len(result.xs)}×{len(result.ys)} cells, {result.seconds:.1f} s)"))
    fig.update_layout(margin=dict(l=70, r=10, t=70, b=50))  # room for the first panel's y label and every x tick
    st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False})
    if result.retrain_metrics:
        r = result.retrain_metrics
        st.caption(f"Retrained model for reference: forget {r.get('forget_acc', float('nan')):.2f}, retain "
                   f"{r.get('retain_acc', float('nan')):.2f}, test {r.get('test_acc', float('nan')):.2f}. "
                   f"avg gap = mean |{method_label(result.method)} − retrain| over retain/forget/test accuracy and "
                   "SalUn's MIA-Efficacy.")


def trained_or_stop(scenario):
    """The trained original from the shared cache, trained here with a progress bar when it is new; a
    failure (bad settings, a diverging run) is one line and stops the page's run."""
    try:
        if cache.is_trained(scenario):
            return cache.trained_for(scenario)
        with progress("Training the original model") as report:
            return cache.trained_for(scenario, report)
    except Exception as err:  # noqa: BLE001 - say so in one line and stop here
        notice(error_line("Training the original model", err) + ". Change the settings in the sidebar.", "error")
        st.stop()


def keep_existing_ids(page_state, n: int, noun: str) -> None:
    """Drop the forget ids a training set of ``n`` items does not have, saying which (Undo restores them)."""
    kept, dropped = selection.clip_to_range(page_state.forget.ids, n)
    if dropped:
        page_state.forget = page_state.forget.set(kept)
        notice(f"The training set now has {n} {noun}s: kept {len(kept)} forget {noun}(s), dropped "
                   f"{len(dropped)} whose id no longer exists ({selection.encode_ids(dropped)}). Undo restores them.")
