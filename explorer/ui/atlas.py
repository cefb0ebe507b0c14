"""The atlas page's panels: settings, compute (with progress, cached per scenario), the map coloured by one
quantity, the two scatter plots with Spearman's ρ, and the chosen point with a link that opens the 2D
explorer with that point as its forget set."""
from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer.config import urlstate
from explorer.config.cost import PAGE_STUDY_BUDGET
from explorer.config.scenario import Scenario, ScenarioError
from explorer.engine.device import torch_threads
from explorer.figures.atlas import atlas_map, atlas_scatter, rho_text
from explorer.pipeline import load_data
from explorer.scenarios import default_scenario
from explorer.studies.atlas import MAX_LOO_SEEDS, QUANTITIES, Atlas, check, compute_atlas, floor_text, which_loo
from explorer.studies.budget import atlas_cost, checked
from explorer.ui import text
from explorer.ui.cache import trained_for
from explorer.ui.feedback import progress, reported
from explorer.ui.state import AtlasState, page_state, set_widget, widget_key
from explorer.unlearning import METHODS as REGISTRY
from explorer.unlearning.base import BUILT_IN
from toy_data import INFO, dataset_names, image_dataset_names

PAGE = "atlas"
METHODS = ("jit", "neggrad", "greedy", "finetune", "random_labels")


def methods() -> list[str]:
    """The built-in methods the atlas offers, then every plugin method that can forget a single point."""
    return [*METHODS, *(n for n, s in REGISTRY.items() if s.origin != BUILT_IN and not s.access.class_level_only)]


def key(path: str) -> str:
    return widget_key(PAGE, path)


def state() -> AtlasState:
    return page_state(PAGE, AtlasState)


def toys() -> list[str]:
    """The 2D toys: the atlas colours the training points on their plane."""
    return [d for d in dataset_names() if d not in image_dataset_names() and INFO[d].dims == 2]


def explorer_data():
    """The 2D explorer's dataset when it is the user's own (edited or uploaded) in this session, else None."""
    explore = st.session_state.get("explore")
    spec = getattr(getattr(explore, "scenario", None), "dataset", None)
    return spec if spec is not None and (spec.edits or spec.file is not None) else None


def sidebar() -> Scenario:
    """The scenario from a few controls (dataset, samples, noise, seed, method); the rest is the default. With the
    user's own data in the 2D explorer (edited or uploaded), a checkbox takes that data instead."""
    own = explorer_data()
    with st.sidebar:
        st.header("Atlas settings")
        if own is not None and st.checkbox(
                f"the 2D explorer's data ({own.edits.describe() if own.edits else 'your data file'})", value=True,
                key=key("ui.explorer_data"), help=text.ATLAS_HELP["explorer_data"]):
            seed = st.number_input("Seed", 0, 10000, 0, key=key("seed"), help=text.ATLAS_HELP["seed"])
            method = st.selectbox("Method", methods(), key=key("method"), help=text.ATLAS_HELP["method"])
            scenario = default_scenario(own.name, file=own.file)
            return replace(scenario, dataset=own, method=method, seed=int(seed), device="cpu",
                           train=replace(scenario.train, seed=own.seed))
        names = toys()
        name = st.selectbox("Dataset", names, index=names.index("moons"), key=key("dataset.name"),
                            help=text.ATLAS_HELP["dataset"])
        base = default_scenario(name)
        samples = st.number_input("Samples", 20, 1000, int(base.dataset.samples), step=20, key=key("dataset.samples"),
                                  help=text.ATLAS_HELP["samples"])
        noise = st.number_input("Noise", 0.0, 2.0, float(base.dataset.noise), step=0.05, key=key("dataset.noise"))
        seed = st.number_input("Seed", 0, 10000, 0, key=key("seed"), help=text.ATLAS_HELP["seed"])
        method = st.selectbox("Method", methods(), key=key("method"), help=text.ATLAS_HELP["method"])
    scenario = default_scenario(name, samples=int(samples), noise=float(noise), seed=int(seed))
    return replace(scenario, method=method, seed=int(seed), device="cpu")


def loo_seeds() -> int:
    """The sidebar's leave-one-out seeds (1: one training seed's leave-one-out; K: the mean over K)."""
    with st.sidebar:
        return int(st.number_input("Leave-one-out seeds", 1, MAX_LOO_SEEDS, 1, key=key("loo_seeds"),
                                   help=text.ATLAS_HELP["loo_seeds"]))


def cache_key(scenario: Scenario, seeds: int = 1) -> str:
    return json.dumps({**scenario.to_dict(), "loo_seeds": seeds}, sort_keys=True)


def compute(scenario: Scenario, seeds: int = 1) -> Atlas | None:
    """The button; the atlas of this scenario over ``seeds`` leave-one-out seeds (cached per scenario and seeds
    in the session), or None before the first."""
    s = state()
    k = cache_key(scenario, seeds)
    if st.button("Compute the atlas", type="primary", key=key("ui.compute"), help=text.ATLAS_HELP["compute"]) \
            and k not in s.atlases:
        with reported("The atlas"), progress("Computing the atlas") as report:
            check(scenario, scenario.method, seeds)  # refuse before training, not after
            data = load_data(scenario)
            what = f"this atlas of {len(data.x_train):,} points" + (f" over {seeds} training seeds" if seeds > 1 else "")
            # one seed's atlas without the floor's second seed when only that fits (said on the page)
            floor = seeds > 1 or fits(atlas_cost(scenario, data, scenario.method, len(data.x_train), 1))
            checked(atlas_cost(scenario, data, scenario.method, len(data.x_train), seeds, floor), PAGE_STUDY_BUDGET,
                    what)
            trained = trained_for(scenario, report)
            with torch_threads(1):
                s.atlases[k] = compute_atlas(scenario, trained, report, loo_seeds=seeds, floor=floor)
    return s.atlases.get(k)


def fits(cost) -> bool:
    try:
        checked(cost, PAGE_STUDY_BUDGET, "")
    except ScenarioError:
        return False
    return True


def show(atlas: Atlas) -> None:
    st.caption(summary(atlas))
    if not atlas.noise_floor:
        st.warning("No noise floor: a second training seed's atlas does not fit the page's work budget with these "
                   "points; without it a ρ cannot be told from training noise. Fewer samples, or "
                   "`python -m explorer atlas` in a terminal, compute it.")
    quantity = st.selectbox("Colour the training set by", list(QUANTITIES), format_func=QUANTITIES.get,
                            key=key("ui.quantity"))
    left, right = st.columns([3, 2])
    with left:
        event = st.plotly_chart(atlas_map(atlas, quantity), key=key("ui.map"), on_select="rerun",
                                selection_mode=("points",), width="stretch")
        chosen = _clicked(event, [p["id"] for p in atlas.points])
        if chosen is not None and chosen != state().chosen:
            state().chosen = chosen
            set_widget(PAGE, "ui.point", chosen)  # the click picks the point below
    with right:
        for pair in ("alpha_vs_loo", "method_vs_loo"):
            st.plotly_chart(atlas_scatter(atlas, pair), key=key(f"ui.scatter.{pair}"), width="stretch")
        st.markdown("\n".join(f"* {PAIR_WORDS[name]}: {rho_text(value)}" for name, value in atlas.spearman.items()))
    point(atlas)


def _clicked(event, ids: list[int]) -> int | None:
    """The id of the first clicked point of a Plotly selection event on the map, else None: its
    customdata[0] where the event carries it, else its index in the map's one trace (``ids`` in order)."""
    def get(obj, name):
        if obj is None:
            return None
        return obj.get(name) if hasattr(obj, "get") else getattr(obj, name, None)

    for p in get(get(event, "selection"), "points") or []:
        data = get(p, "customdata")
        if isinstance(data, (list, tuple)) and data:
            data = data[0]
        if isinstance(data, (int, float)) and data == data and int(data) in ids:
            return int(data)
        index = get(p, "point_index")
        if isinstance(index, int) and 0 <= index < len(ids):
            return ids[index]
    return None


def point(atlas: Atlas) -> None:
    """The chosen point's numbers and the link that loads it as the forget set of the 2D explorer."""
    ids = [p["id"] for p in atlas.points]
    picked = st.selectbox("Point", ids, key=key("ui.point"), help=text.ATLAS_HELP["point"])
    if picked not in ids:
        return
    row = atlas.points[ids.index(picked)]
    st.markdown(f"**Point {row['id']}** (class {row['label']}, at ({row['x'][0]:.2f}, {row['x'][1]:.2f})): "
                f"α {row['alpha']:.2f}, local Lipschitz {row['lipschitz']:.2f}; retraining without it changes "
                f"{100 * row['loo_boundary_change']:.2f} % of the grid{_mean(atlas)}, {atlas.method} forgetting it changes "
                f"{100 * row['method_boundary_change']:.2f} % (agreement with the retrained model "
                f"{row['method_agreement_with_loo']:.4f}, test accuracy {-row['method_test_drop']:+.3f}).")
    params = urlstate.to_params(atlas.scenario, [picked])
    label = f"Forget point {picked} in the 2D explorer"
    try:  # the app's own page (app.py's navigation): same tab, same session
        st.page_link("app.py", label=label, icon="🧽", query_params=params)
    except StreamlitPageNotFoundError:  # this page run on its own: a plain link to the app's root
        st.link_button(label, "./?" + urlencode(params), icon="🧽")


def _mean(atlas: Atlas) -> str:
    return f" (mean of {atlas.loo_seeds} training seeds)" if atlas.loo_seeds > 1 else ""


PAIR_WORDS = {"alpha_vs_loo": "α(x) vs leave-one-out influence (the paper: negative)",
              "lipschitz_vs_loo": "local Lipschitz vs leave-one-out influence (the paper: positive)",
              "method_vs_loo": "method influence vs leave-one-out influence (positive = it changes the model where "
                               "retraining would)",
              "alpha_vs_method": "α(x) vs method influence (negative = the method acts on informative points)",
              "lipschitz_vs_method": "local Lipschitz vs method influence (positive = it acts where the model is steep)"}


def summary(atlas: Atlas) -> str:
    seeds = len((atlas.seed_maps or {}).get("offsets") or [0])
    n = len(atlas.points)
    return (f"{n} training points of {atlas.scenario.dataset.name} (seed {atlas.scenario.seed}), {which_loo(atlas)}: "
            f"{seeds} × {n} models retrained without one point each and {seeds} × {n} {atlas.method} runs, "
            f"in {atlas.seconds:.1f} s ({atlas.backend}, {atlas.workers} worker(s)). The {floor_text(atlas)}: a "
            f"ρ against leave-one-out no larger than that is within training noise.")
