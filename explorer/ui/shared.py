"""Pieces both pages (the 2D explorer and the images page) use: the method comparison table, a
run's verdict and reading comma-separated numbers."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

TABLE_METRICS = ("retain_acc", "forget_acc", "test_acc", "mia", "forget_entropy", "agreement_with_retrain")
ZERO_SHOT = {True: "yes", False: "no", None: "—"}


def comparison_frame(models: Mapping[str, Mapping[str, Any]], shown=TABLE_METRICS, gaps: bool = True) -> pd.DataFrame:
    """One row per model of a report-style ``{name: {"metrics", "seconds"}}`` (original and retrain
    included): whether the method is zero-shot, SalUn's average gap to retrain and seconds first (they
    stay in view on a narrow page), then each metric with its signed gap to retrain (``<metric> gap``),
    then what data the method sees."""
    from explorer.comparison import comparison_rows
    shown = list(shown)
    rows = comparison_rows(models, shown)
    out = []
    for r in rows:
        row = {"method": r["method"], "zero-shot": ZERO_SHOT[r["zero_shot"]], "avg gap to retrain": r["avg_gap"],
               "seconds": r["seconds"]}
        for m in shown:
            row[m] = r[m]
            if gaps:
                row[f"{m} gap"] = r[f"gap_{m}"]
        row["sees"] = r["uses"]
        out.append(row)
    return pd.DataFrame(out)


def comparison_table(models: Mapping[str, Mapping[str, Any]], key: str, shown=TABLE_METRICS, gaps: bool = True) -> None:
    """The table as a Streamlit dataframe, then one warning per method that diverged and was rolled back."""
    import streamlit as st
    table = comparison_frame(models, shown, gaps)
    st.dataframe(table.style.format(precision=3, na_rep="—"), hide_index=True, key=key)
    for name, entry in models.items():
        if entry.get("stopped"):
            st.warning(f"{name}: {entry['stopped']}")


def parse_floats(text: str) -> list[float]:
    """Comma- (or semicolon-) separated numbers; ValueError with a one-line hint otherwise."""
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"could not read numbers from {text!r}; write them comma-separated, e.g. 0.1, 0.5") from None


def show_verdict(verdict) -> None:
    """The run's one-sentence verdict: green when it did what retraining does, amber when it damaged the model
    or missed the forgetting, blue when it forgot cleanly but its boundary went away from retraining's."""
    import streamlit as st

    box = st.warning if verdict.damaged or verdict.forgetting in ("did_not_forget", "forgot_more") else (
        st.info if verdict.direction == "away" else st.success)
    box(f"**Verdict:** {verdict.sentence}")
