"""The user's own data as a dataset: ``DatasetSpec(name="file", file=DataFile(...))``.

A data file is read and checked once (:func:`explorer.config.datafile.read_data_file`) and kept, parsed, under its
content hash in a small per-process store, so the CLI's ``--data-file``, the page's upload and a link naming the
hash on the same server all find it. Elsewhere (a fresh process, a job of the atlas) it comes from the content
embedded in the scenario, else from the file's path; either way its bytes must have the hash the scenario names.
The rows are split into training and test sets as a generated dataset is (seeded, stratified by class).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from explorer.config.datafile import DataFile, ParsedData, data_file, read_bytes, read_data_file, sha256
from toy_data.base import Dataset, register_dataset, split
from explorer.config.dataset import DatasetSpec

FILE = "file"  # the dataset name of a user's data file
_STORE: OrderedDict[str, tuple[DataFile, ParsedData]] = OrderedDict()
_LOCK = threading.Lock()
STORE_SIZE = 16


def register(raw: bytes, name: str) -> tuple[DataFile, ParsedData]:
    """Check a file's bytes (one line on any problem) and keep it, parsed, under its hash."""
    raw, parsed = read_data_file(raw, name)
    return _keep(data_file(raw, name), parsed), parsed


def register_path(path: str) -> tuple[DataFile, ParsedData]:
    """:func:`register` for a file on disk (read no further than the size limit)."""
    raw, parsed = read_data_file(path)
    return _keep(data_file(raw, path), parsed), parsed


def known(sha: str) -> DataFile | None:
    """The data file with this hash that this process holds, or None."""
    with _LOCK:
        entry = _STORE.get(sha)
    return entry[0] if entry else None


def _keep(datafile: DataFile, parsed: ParsedData) -> DataFile:
    with _LOCK:
        _STORE[datafile.sha256] = (datafile, parsed)
        _STORE.move_to_end(datafile.sha256)
        while len(_STORE) > STORE_SIZE:
            _STORE.popitem(last=False)
    return datafile


def parsed(datafile: DataFile) -> ParsedData:
    """The rows of ``datafile``: from the store, else its embedded content, else its path — whose bytes must have
    the hash it names. ValueError in one line otherwise."""
    datafile.check_types()
    with _LOCK:
        entry = _STORE.get(datafile.sha256)
    if entry is not None:
        return entry[1]
    raw = datafile.content()
    if raw is None:
        if not datafile.name:
            raise ValueError(f"the data file (sha256 {datafile.short}…) is not on this server: upload it again, or "
                             "give it with --data-file FILE")
        raw = read_bytes(datafile.name)
        if sha256(raw) != datafile.sha256:
            raise ValueError(f"data file {datafile.name!r} has sha256 {sha256(raw)[:12]}…, not the "
                             f"{datafile.short}… the scenario was made with: it is not the same data")
    raw, rows = read_data_file(raw, datafile.name)
    _keep(datafile, rows)
    return rows


def is_images(spec: DatasetSpec) -> bool:
    return spec.name == FILE and spec.file is not None and parsed(spec.file).is_images


@register_dataset(FILE, title="your data file", listed=False, noise=0.0)
def load_file(spec: DatasetSpec) -> Dataset:
    """A user's CSV of points or .npz of images, split into training and test sets with the spec's seed and test
    fraction (stratified by class where every class has enough rows)."""
    if spec.file is None:
        raise ValueError("dataset 'file' needs a data file: give --data-file FILE (a CSV x1,x2,label or x,label, or an "
                         ".npz of images x and labels y)")
    rows = parsed(spec.file)
    counts = np.bincount(rows.y, minlength=rows.n_classes)
    n_test = int(np.ceil(spec.test_fraction * len(rows.y)))
    stratify = bool(counts[counts > 0].min() >= 2 and n_test >= (counts > 0).sum())
    names = [str(c) for c in range(rows.n_classes)] if rows.is_images else [f"class {c}" for c in range(rows.n_classes)]
    return split(FILE, rows.x, rows.y, spec, rows.n_classes, stratified=stratify, image_shape=rows.image_shape,
                 class_names=names)
