"""The privacy view of a finished run (no Streamlit): its audit (:mod:`explorer.studies.audit`) and the figures
both pages draw from it — the exposure map with its threshold slider and the ROC per model (2D page), the
forgotten images in order of exposure (images page)."""
from __future__ import annotations

import numpy as np
from scipy import stats

from explorer.figures import privacy as figures
from explorer.figures.images import thumbnails_figure
from explorer.measures.membership import ATTACKS
from explorer.measures.verdict import method_label
from explorer.pipeline import RunOutcome
from explorer.studies.audit import Audit, audited_models, compute_audit
from explorer.config.audit import AuditConfig
from toy_data import Dataset

MODEL_TITLES = {"original": "original", "retrain": "retrained"}


def audit(outcome: RunOutcome, config: AuditConfig, progress=None, backend: str = "auto") -> Audit:
    """The audit of a finished run: its original, retrained and main method's models, its forget set."""
    return compute_audit(outcome.scenario, outcome.trained, outcome.forget_ids, audited_models(outcome),
                         outcome.method, config, progress, backend=backend)


def titles(a: Audit) -> dict[str, str]:
    return {m: MODEL_TITLES.get(m, a.label if m == a.method else method_label(m)) for m in a.models}


def _order(a: Audit) -> list[str]:
    """original | the method | retrained: before, after, the goal."""
    return [m for m in ("original", a.method, "retrain") if m in a.models]


def colors(a: Audit) -> dict[str, str]:
    return {titles(a)[m]: figures.MODEL_COLORS.get(m, figures.METHOD_COLOR) for m in a.models}


def exposure_map(a: Audit, attack: str, height: int = 540):
    """Every training point coloured by ``attack``'s score under each model (2D inputs as they are; 1-D inputs at
    their label, as the 1-D editor draws them)."""
    train = np.arange(a.n_train)
    x = a.inputs[train]
    coords = x if x.shape[1] >= 2 else np.column_stack([x[:, 0], a.labels[train]])
    forget = a.split[train] == "forget"
    return figures.exposure_map(coords[:, :2], a.labels[train], forget,
                                {m: a.scores[m][attack][train] for m in _order(a)}, ATTACKS[attack].threshold,
                                ATTACKS[attack].label, ids=train, height=height, titles=titles(a))


def roc(a: Audit, attack: str, height: int = 420):
    names = titles(a)
    curves = {names[m]: a.summary(m, attack) for m in _order(a)}
    return figures.roc_figure(curves, f"{ATTACKS[attack].label}: ROC per model (log-log)", colors(a), height)


def ranked_forget(a: Audit, attack: str, data: Dataset, max_images: int = 30):
    """The forgotten images (``data``: the audited run's images), most exposed under the method first: their
    thumbnails and their scores per model, and the ranked ids."""
    forget = a.where("forget")
    target = a.method if a.method in a.models else "retrain"
    ranked = forget[np.argsort(-a.scores[target][attack][forget], kind="stable")][:max_images]
    thumbs = thumbnails_figure(data.x_train, data.image_shape, ranked.tolist(), data.y_train, data.class_names,
                               max_images=max_images, cols=10)
    names = titles(a)
    bars = figures.ranked_bars(ranked.tolist(), {names[m]: a.scores[m][attack][ranked] for m in _order(a)},
                               ATTACKS[attack].threshold, ATTACKS[attack].label, colors(a))
    return thumbs, bars, ranked


def headline(a: Audit, attack: str) -> str:
    """One sentence on ``attack``: where the forgotten points stand under each model, with the numbers."""
    c = a.comparison(attack)
    means = c["forget_mean_score"]
    names = titles(a)
    called = {m: a.summary(m, attack)["called_members"]["forget"] for m in a.models}
    n = len(a.forget_ids)
    parts = [f"{names[m]} {means[m]:.3g} ({called[m]} of {n} called members)" for m in _order(a)]
    text = f"{ATTACKS[attack].label}: the forgotten points' mean score — " + ", ".join(parts) + "."
    exposed = c.get("retain_more_exposed", {})
    if a.method in exposed and a.method != "retrain":
        e, r = exposed[a.method], exposed["retrain"]
        text += (f" Retain points newly called members after {names[a.method]}: {e['newly_members']} "
                 f"(retraining: {r['newly_members']}); their score rose for {e['score_rose']} "
                 f"(retraining: {r['score_rose']}) of {len(a.where('retain'))}.")
    return text


def paired_forget_test(a: Audit, attack: str, model: str, other: str) -> dict:
    """Do the forgotten points score higher under ``model`` than under ``other``? The Wilcoxon signed-rank test
    over the forgotten points (paired: the same points under both models), one-sided; p = 1 when every
    difference is 0. Returns both means, the p-value and the number of points."""
    forget = a.where("forget")
    x, y = a.scores[model][attack][forget], a.scores[other][attack][forget]
    p = 1.0 if np.allclose(x, y) else float(stats.wilcoxon(x, y, alternative="greater").pvalue)
    return {"mean": float(x.mean()), "other_mean": float(y.mean()), "p": p, "n": int(len(forget))}
