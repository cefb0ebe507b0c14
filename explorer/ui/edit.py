"""The 2D explorer's "Edit data" mode and the upload of a data file (Streamlit).

In edit mode a click on empty plane adds a training point of the chosen class there, a click on a training point
removes it or gives it the next label, and two presets add an outlier or relabel k random points. Every edit is
a step of the page's one history (Undo covers edits as it covers forget sets) and renumbers the forget set the way
the edited data renumbers its ids (explorer/config/edits.py). The edits live in the scenario's dataset, so the original
retrains on the edited data (with progress) and every view, the link and the scenario file see it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from explorer.config import datalink, selection
from explorer.config.datafile import DataFile
from explorer.config.scenario import Scenario
from explorer.figures import edit as cells
from explorer.ui.state import ExploreState, page_state, set_widget, widget_key, widget_value
from toy_data import Dataset, default_spec, load_dataset, toy_dataset_names
from explorer.config.edits import DataEdits
from explorer.config.dataset import DatasetSpec
from explorer.config import edits as ops
from toy_data.files import FILE, register

PAGE = "2d"  # the explorer's widget keys (explorer/ui/explore.py)
FORGET, EDIT = "Choose what to forget", "Edit data"
REMOVE, RELABEL = "remove it", "give it the next class"


@dataclass
class EditState:
    """What edit mode remembers between reruns besides its widgets and the page's forget state."""

    upload: DataFile | None = None  # the last data file uploaded on this page: the dataset "file"
    data: Any = None  # the (edited) training data the editor last drew: the clicks' ids refer to it
    base_y: Any = None  # the unedited training labels (a relabel back to one removes the edit)
    axes: tuple | None = None  # the clickable cells the editor last drew


def _state() -> ExploreState:
    return page_state("explore", ExploreState)


def _edit() -> EditState:
    s = _state()
    if s.edit is None:
        s.edit = EditState()
    return s.edit


def key(path: str) -> str:
    return widget_key(PAGE, path)


def editing() -> bool:
    return widget_value(PAGE, "ui.mode") == EDIT


def current() -> DataEdits:
    return _state().forget.edits or DataEdits()


@functools.lru_cache(maxsize=8)
def unedited(spec: DatasetSpec) -> Dataset:
    """The data as generated (or uploaded), before any edit (shared between sessions: never mutate it)."""
    return load_dataset(replace(spec, edits=DataEdits()))


# ----------------------------------------------------------------------------------------------
# the scenario's data: the uploaded file and the edits in force

def dataset_options() -> list[str]:
    """The toys, and "file" once this session has a data file (uploaded, or named by its link)."""
    return toy_dataset_names() + ([FILE] if _file() is not None else [])


def dataset_labels() -> Callable[[str], str]:
    """The dataset menu's labels, with this session's data file named (a closure: it is called outside the run)."""
    f = _file()
    label = f"your data: {Path(f.name).name or f.short}" if f is not None else FILE
    return lambda name: label if name == FILE else name


def generated(get) -> bool:
    """Whether the sidebar's dataset is generated (samples and noise apply) rather than the user's file."""
    return get("dataset.name") != FILE


def _file() -> DataFile | None:
    s = _state()
    return _edit().upload or (s.base.dataset.file if s.base is not None else None)


def with_data(scenario: Scenario) -> Scenario:
    """``scenario`` with this page's data file (for "file") and its edits, the ones the data cannot take dropped
    with a notice (after a change of samples or classes; Undo restores them)."""
    s, spec = _state(), scenario.dataset
    spec = replace(spec, file=_file() if spec.name == FILE else None, edits=DataEdits())
    edits = current()
    if edits:
        try:
            base = unedited(spec)
        except ValueError:  # the data cannot load: training says why, in one line
            return replace(scenario, dataset=replace(spec, edits=edits))
        kept, dropped = edits.fit(len(base.x_train), base.n_features, base.n_classes)
        if dropped:
            st.warning(f"This data has {len(base.x_train)} training points and {base.n_classes} classes: dropped "
                       f"{dropped} edit(s) it cannot take. Undo restores them.")
            s.forget = s.forget.edit(kept, s.forget.ids)
            edits = kept
    return replace(scenario, dataset=replace(spec, edits=edits))


def upload_widget() -> None:
    st.file_uploader("Your own data (CSV)", type=["csv", "txt", "tsv"], key=key("ui.upload"), on_change=_on_upload,
                     help="A CSV of 2D points x1,x2,label (or x,label for a line), a header row optional; at most "
                          "20,000 rows and 10 classes. It becomes the dataset 'your data' (the forget set and edits "
                          "start empty; Undo goes back).")


def _on_upload() -> None:
    s, upload = _state(), st.session_state.get(key("ui.upload"))
    if upload is None:
        return
    try:
        datafile, rows = register(upload.getvalue(), upload.name)
    except ValueError as err:
        s.flash = str(err)
        return
    if rows.is_images:
        s.flash = f"{upload.name} holds images: upload it on the Real images page."
        return
    _edit().upload = datafile
    set_widget(PAGE, "dataset.name", FILE)
    for name, value in default_spec(FILE).to_dict().items():  # samples, noise, classes: not the file's business
        if name in ("samples", "noise", "classes"):
            set_widget(PAGE, f"dataset.{name}", value)
    s.forget = s.forget.edit(DataEdits(), ())


# ----------------------------------------------------------------------------------------------
# the mode, the count, the controls

def mode_switch(trained) -> None:
    """The click mode and the training set's size and edits (always on the page)."""
    ctx, d = _edit(), trained.data
    ctx.data = d
    ctx.axes = cells.cell_axes(trained.grid.xs, trained.grid.ys) if d.is_2d else None
    try:
        ctx.base_y = unedited(d.spec).y_train
    except ValueError:
        ctx.base_y = None
    if d.is_2d:
        st.radio("Click mode", (FORGET, EDIT), key=key("ui.mode"), horizontal=True, label_visibility="collapsed",
                 help="Choose what to forget: a click picks training points. Edit data: a click on empty plane adds "
                      "a point, a click on a point removes or relabels it; the model retrains on the edited data.")
    edits = current()
    note = f" ({edits.describe()})" if edits else ""
    st.markdown(f"**Training data: {len(d.x_train)} points**{note}")
    if not datalink.fits_link(edits):
        st.warning(f"These {len(edits):,} edits are too long for a link ({datalink.link_chars(edits):,} characters): "
                   "the link keeps the settings only. Download the scenario JSON to share the edited data.")


def figure(fig, trained):
    """The editor figure, with the plane clickable in edit mode."""
    if not (editing() and trained.data.is_2d):
        return fig
    cls = int(widget_value(PAGE, "ui.edit.class", 0) or 0)
    return cells.clickable(fig, _edit().axes, f"a class-{cls} point")


def on_select() -> None:
    """A click (or box, lasso) in edit mode: empty plane adds a point, training points are removed or relabelled."""
    ctx = _edit()
    if ctx.data is None:
        return
    event = st.session_state.get(key("ui.editor"))
    ids, picked_cells, kind = selection.ids_and_cells(event, len(ctx.data.x_train))
    if ids:
        if widget_value(PAGE, "ui.edit.point", REMOVE) == REMOVE:
            _apply(lambda: _remove_all(ids))
        else:
            _apply(lambda: _relabel_all(ids))
    elif picked_cells and kind == "points" and ctx.axes is not None:
        xy = cells.cell_xy(picked_cells[0], ctx.axes)
        cls = int(widget_value(PAGE, "ui.edit.class", 0) or 0)
        if xy is not None:
            _apply(lambda: ops.add(current(), xy, cls))


def panel(trained, scenario: Scenario) -> None:
    """Edit mode's controls: the class of added points, what a click on a point does, the presets."""
    if not (editing() and trained.data.is_2d):
        return
    d = trained.data
    classes = list(range(d.n_classes))
    st.markdown("#### Edit the data")
    st.selectbox("class of an added point", classes, key=key("ui.edit.class"),
                 help="A click on empty plane adds a training point of this class there.")
    st.radio("a click on a training point", (REMOVE, RELABEL), key=key("ui.edit.point"), horizontal=True,
             help="Remove the point from the training set, or give it the next class (a mislabelled point).")
    with st.expander("Edit presets", expanded=False):
        c1, c2 = st.columns(2)
        label = c1.selectbox("outlier of class", classes, key=key("ui.edit.outlier"))
        inside = c2.selectbox("deep inside class", classes, index=min(1, len(classes) - 1), key=key("ui.edit.inside"))
        st.button("Add an outlier", key=key("ui.edit.add_outlier"), width="stretch",
                  on_click=_apply, args=(lambda: ops.add_outlier(current(), _edit().data, label, inside),),
                  help="One point of the first class deep inside the second (Undo takes it away).")
        k = st.number_input("k", 1, len(d.x_train), value=min(5, len(d.x_train)), step=1, key=key("ui.edit.k"))
        st.button("Relabel k random points", key=key("ui.edit.flip"), width="stretch", on_click=_apply,
                  args=(lambda: ops.flip_random(current(), _edit().data, int(k), scenario.seed, _edit().base_y),),
                  help="k training points drawn with the scenario's seed, each given the next class.")
    st.button("Undo all edits", key=key("ui.edit.clear"), disabled=not current(), width="stretch",
              on_click=_apply, args=(_clear,), help="Back to the data as generated (Undo brings the edits back).")


# ----------------------------------------------------------------------------------------------
# applying an edit: the new edits, checked, and the forget set renumbered

def _apply(make: Callable[[], tuple[DataEdits, Callable]]) -> None:
    s, ctx = _state(), _edit()
    try:
        new, id_map = make()
        n_base = len(ctx.base_y) if ctx.base_y is not None else len(ctx.data.x_train)
        new.check(n_base, ctx.data.n_features, ctx.data.n_classes)
    except ValueError as err:
        s.flash = str(err)
        return
    ids = [j for j in (id_map(i) for i in s.forget.ids) if j is not None]
    s.forget = s.forget.edit(new, ids)


def _n_base() -> int:
    ctx = _edit()
    return len(ctx.base_y) if ctx.base_y is not None else len(ctx.data.x_train) - len(current().added)


def _remove_all(ids) -> tuple[DataEdits, Callable]:
    edits, maps = current(), []
    for i in sorted(set(ids), reverse=True):  # from the last: the ids still to remove keep their numbers
        edits, m = ops.remove(edits, i, _n_base())
        maps.append(m)
    return edits, functools.reduce(lambda f, g: (lambda i: None if f(i) is None else g(f(i))), maps, lambda i: i)


def _relabel_all(ids) -> tuple[DataEdits, Callable]:
    ctx, edits = _edit(), current()
    for i in ids:
        edits, _ = ops.relabel(edits, i, ops.next_label(ctx.data.y_train[i], ctx.data.n_classes), ctx.base_y)
    return edits, (lambda i: i)


def _clear() -> tuple[DataEdits, Callable]:
    edits, n_base = current(), _n_base()
    kept = edits.kept(n_base)
    return DataEdits(), (lambda i: int(kept[i]) if 0 <= i < len(kept) else None)
