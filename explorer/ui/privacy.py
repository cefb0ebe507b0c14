"""The privacy view of a shown run (Streamlit), on both pages: the audit runs on a button press (reference models
take seconds to a minute), then the 2D page draws the exposure map with its threshold slider and the ROC per
model, and the images page the forgotten images ranked by exposure. Numbers and figures come from
explorer/views/privacy.py; the audit is kept with the shown run's figures, so it goes when the run does."""
from __future__ import annotations

import streamlit as st

from explorer.config import declare
from explorer.engine.device import torch_threads
from explorer.measures.membership import ATTACKS
from explorer.pipeline import RunOutcome
from explorer.studies.audit import default_references
from explorer.config.audit import AuditConfig
from explorer.ui.feedback import progress, reported
from explorer.ui.state import Shown, widget_key
from explorer.views import privacy as V

INTRO = (
    "A **membership attack** guesses, point by point, whether a model was trained on it. The auditor trains "
    "**reference models** with the same recipe on random halves of the training and test points (each point in "
    "exactly half of them), so for every point it knows what a model's confidence looks like *with* and *without* "
    "it. **LiRA** (Carlini et al., arXiv 2112.03570) compares the audited model's confidence with both, point by "
    "point; **U-LiRA** (Hayes et al., arXiv 2403.01218) does the same with reference models that were trained on "
    "the point *and then unlearned it* with this method; **RMIA** (Zarifzadeh et al., arXiv 2312.03262) is the "
    "cheap variant that only needs the references' average. Red = looks like a member, blue = looks like a "
    "non-member; the goal for a forgotten point is the retrained model's colour, not the deepest blue.")
HELP = {
    "references": "How many reference models to train (pairs: each point is in exactly half of them). More models, "
                  "steadier per-point fits; the toys train 64 in seconds in one stack, images train one by one.",
    "attack": "Which attack colours the map. LiRA, LiRA offline and RMIA use the trained reference models; U-LiRA "
              "uses the reference models after this method unlearned the forget points they had.",
    "run": "Train the reference models, unlearn the forget set from those that had it, and score every point "
           "under the original, the method and the retrained model.",
}


def panel(shown_run: Shown, page: str, outcome: RunOutcome, image: bool = False) -> None:
    """The privacy section of a page, for ``shown_run`` (whose ``outcome`` is the run to audit)."""
    st.subheader("Privacy: can an attacker still tell which points were trained on?")
    st.markdown(INTRO)
    lo, hi = declare.bounds("audit.references")
    declared = declare.limit("audit.references")
    c1, c2, c3 = st.columns([1, 1, 1])
    references = c1.number_input(declared.label, lo, hi, value=default_references(image), step=int(declared.step),
                                 key=widget_key(page, "ui.privacy.references"), help=HELP["references"])
    attack = c2.selectbox("attack", list(ATTACKS), format_func=lambda a: ATTACKS[a].label,
                          key=widget_key(page, "ui.privacy.attack"), help=HELP["attack"])
    audit_key = f"audit:{int(references)}"
    if c3.button("Run privacy audit", key=widget_key(page, "ui.privacy.run"), help=HELP["run"], width="stretch"):
        with reported("Privacy audit"), progress("Training the reference models") as report:
            config = AuditConfig(references=int(references))
            with torch_threads(1):
                shown_run.figures[audit_key] = V.audit(outcome, config, report)
    audit = shown_run.figures.get(audit_key)
    if audit is None:
        st.caption("Press **Run privacy audit** to score every point.")
        return
    if attack not in audit.attacks:
        st.info(f"{ATTACKS[attack].label} is not available for this run: {audit.refs.refused}.")
        return
    st.markdown(V.headline(audit, attack))
    st.caption(f"Decision rule: {ATTACKS[attack].rule}. Source: {ATTACKS[attack].source}. "
               f"{audit.sentences()[-1]} Reference models: {len(audit.refs.masks)} in "
               f"{audit.seconds['references']:.1f} s ({audit.refs.backend}).")
    if image:
        thumbs, bars, ranked = V.ranked_forget(audit, attack, outcome.trained.data)
        st.markdown(f"**The forgotten images, most exposed under {V.titles(audit)[audit.method]} first**"
                    if audit.method in audit.models else "**The forgotten images, most exposed first**")
        st.plotly_chart(thumbs, key=widget_key(page, "ui.privacy.thumbs"), theme=None,
                        config={"displayModeBar": False})
        st.plotly_chart(bars, key=widget_key(page, "ui.privacy.bars"), theme=None, config={"displaylogo": False})
        return
    figures = shown_run.figures.setdefault(f"{audit_key}:{attack}", (V.exposure_map(audit, attack),
                                                                     V.roc(audit, attack)))
    st.markdown("**Exposure of every training point** — drag the threshold below the panels: rings mark the points "
                "an attacker with that threshold calls members.")
    st.plotly_chart(figures[0], key=widget_key(page, "ui.privacy.map"), theme=None, config={"displaylogo": False})
    st.plotly_chart(figures[1], key=widget_key(page, "ui.privacy.roc"), theme=None, config={"displaylogo": False})
