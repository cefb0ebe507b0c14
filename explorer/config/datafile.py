"""A user's data file, read and checked against the declared limits (explorer/config/limits.py) in one function,
:func:`read_data_file`, before anything trains. numpy and the standard library only, so the command line can
check a file before it loads torch.

* **CSV** of points: ``x1,x2,label`` (2D) or ``x,label`` (a line). A header row is optional (a first row with no
  number in it); with one, the label column is the one named ``label`` (or ``class``, ``target``) and the others
  are the coordinates in order; without one, the last column is the label. Commas, semicolons or tabs separate
  values; a UTF-8 byte-order mark and Windows line ends (as spreadsheets write them) are read as usual.
* **.npz** of small images: arrays ``x`` (``(n, h, w)``, ``(n, c, h, w)`` or ``(n, h, w, c)``, 1 or 3 channels)
  and ``y`` (n whole labels), read with ``allow_pickle=False``; array shapes are checked from the file's headers
  before any array is read, so a small compressed file cannot unpack into gigabytes.

Every problem is one ``ValueError`` line naming the file and the row (the file's line number) or field.
The data's identity is the SHA-256 of the file's bytes (:class:`DataFile`), so a report is tied to the data it
ran on.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.config.limits import (MAX_CLASSES, MAX_SAMPLES, MAX_COORDINATE, MAX_DATA_BYTES, MAX_EMBEDDED_BYTES, MAX_IMAGE_SIDE,
                                    MIN_DATA_ROWS)

LABEL_NAMES = ("label", "class", "target")
EMBED_PREFIX = "base64:"


@dataclass(frozen=True)
class DataFile:
    """A data file as a scenario names it: the content hash is its identity; ``name`` the file or path it came
    from; ``embedded`` the content itself when the file is small (CSV text, or ``base64:`` + the .npz bytes), so
    a scenario file reproduces the run alone."""

    sha256: str
    name: str = ""
    embedded: str = ""

    def check_types(self) -> None:
        if not (isinstance(self.sha256, str) and len(self.sha256) == 64
                and all(c in "0123456789abcdef" for c in self.sha256)):
            raise ValueError(f"a data file's sha256 must be 64 lowercase hex digits, got {str(self.sha256)[:70]!r}")
        if not isinstance(self.name, str) or not isinstance(self.embedded, str):
            raise ValueError("a data file's name and embedded content must be text")

    @property
    def short(self) -> str:
        return self.sha256[:12]

    def content(self) -> bytes | None:
        """The embedded bytes (None when not embedded); ValueError when they are not this file's."""
        if not self.embedded:
            return None
        try:
            raw = (base64.b64decode(self.embedded[len(EMBED_PREFIX):], validate=True)
                   if self.embedded.startswith(EMBED_PREFIX) else self.embedded.encode("utf-8"))
        except ValueError:
            raise ValueError(f"the embedded data of {self.name or 'the data file'} is not valid base64") from None
        if sha256(raw) != self.sha256:
            raise ValueError(f"the embedded data of {self.name or 'the data file'} has sha256 {sha256(raw)[:12]}…, "
                             f"not the {self.short}… the scenario names")
        return raw


@dataclass(frozen=True)
class ParsedData:
    """A data file's rows: inputs (flat float32 rows), whole labels, how many classes, image shape if images."""

    x: np.ndarray
    y: np.ndarray
    n_classes: int
    image_shape: tuple[int, int, int] | None = None
    columns: tuple[str, ...] = ()

    @property
    def is_images(self) -> bool:
        return self.image_shape is not None


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def kind_of(name: str, raw: bytes = b"") -> str:
    """``csv`` or ``npz``, by the file name's extension, else by its first bytes (a zip archive is an .npz)."""
    suffix = Path(name or "").suffix.lower()
    if suffix == ".npz":
        return "npz"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    return "npz" if raw[:2] == b"PK" else "csv"


def read_bytes(path: str) -> bytes:
    """A data file's bytes, never more than the larger size limit + 1 (so /dev/zero or a 50 MB file stops at once)."""
    limit = MAX_DATA_BYTES[kind_of(path)] if Path(path).suffix else max(MAX_DATA_BYTES.values())
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as err:
        raise ValueError(f"cannot read data file {path!r}: {err.strerror or err}") from None
    return raw


def read_data_file(source: str | bytes, name: str = "") -> tuple[bytes, ParsedData]:
    """(the file's bytes, its parsed and checked rows) from a path or the bytes of an upload named ``name``.
    ValueError, one line naming the file and the row or field, on anything outside the declared limits."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        name = name or str(source)
        raw = read_bytes(str(source))
    label = f"data file {Path(name).name or 'upload'!r}"
    kind = kind_of(name, raw)
    if len(raw) > MAX_DATA_BYTES[kind]:
        raise ValueError(f"{label} is larger than {MAX_DATA_BYTES[kind] // 2**20} MB, the limit for a .{kind} file "
                         f"(at most {MAX_SAMPLES:,} rows)")
    if not raw.strip():
        raise ValueError(f"{label} is empty")
    try:
        parsed = _read_npz(raw) if kind == "npz" else _read_csv(raw)
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None
    return raw, parsed


def check_argv(argv: list[str]) -> str | None:
    """The one-line problem with a command line's ``--data-file`` (None when it has none or it is fine): checked
    before the command line loads torch, so a bad file is refused at once."""
    for k, arg in enumerate(argv):
        path = arg.split("=", 1)[1] if arg.startswith("--data-file=") else (
            argv[k + 1] if arg == "--data-file" and k + 1 < len(argv) else None)
        if path is not None:
            try:
                read_data_file(path)
            except ValueError as err:
                return str(err)
    return None


def data_file(raw: bytes, name: str) -> DataFile:
    """The :class:`DataFile` of these bytes: embedded when small enough to travel inside a scenario."""
    embedded = ""
    if len(raw) <= MAX_EMBEDDED_BYTES:
        try:
            embedded = raw.decode("utf-8") if kind_of(name, raw) == "csv" else ""
        except UnicodeDecodeError:
            embedded = ""
        embedded = embedded or EMBED_PREFIX + base64.b64encode(raw).decode("ascii")
    return DataFile(sha256(raw), name, embedded)


# ----------------------------------------------------------------------------------------------
# CSV

def _read_csv(raw: bytes) -> ParsedData:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"is not UTF-8 text (byte {err.start})") from None
    lines = [(k, line) for k, line in enumerate(text.splitlines(), 1) if line.strip()]
    first = lines[0][1]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    rows = [(k, [c.strip() for c in cells]) for (k, _), cells in
            zip(lines, csv.reader([line for _, line in lines], delimiter=delimiter))]
    header = rows[0][1] if not any(_is_number(c) for c in rows[0][1]) else None
    if header is not None:
        rows = rows[1:]
        names = [h.strip().lower() for h in header]
        found = [i for i, h in enumerate(names) if h in LABEL_NAMES]
        if not found:
            raise ValueError(f"the header ({', '.join(header)}) has no label column: name one column "
                             f"{' or '.join(LABEL_NAMES)}")
        label_col = found[0]
        columns = tuple(header)
    else:
        width = len(rows[0][1])
        label_col = width - 1
        columns = tuple((["x"] if width == 2 else [f"x{i + 1}" for i in range(width - 1)]) + ["label"])
    features = [i for i in range(len(columns)) if i != label_col]
    if len(features) not in (1, 2):
        raise ValueError(f"has {len(features)} coordinate column(s) ({', '.join(columns[i] for i in features)}): a CSV "
                         "holds a line (x,label) or 2D points (x1,x2,label); images go in an .npz")
    if len(rows) > MAX_SAMPLES:
        raise ValueError(f"has {len(rows):,} rows: at most {MAX_SAMPLES:,}")
    if len(rows) < MIN_DATA_ROWS:
        raise ValueError(f"has {len(rows)} row(s) of data: at least {MIN_DATA_ROWS}")
    x = np.empty((len(rows), len(features)), dtype=np.float64)
    y = np.empty(len(rows), dtype=np.int64)
    for r, (line, cells) in enumerate(rows):
        if len(cells) != len(columns):
            raise ValueError(f"row {line} has {len(cells)} value(s); {'the header has' if header else 'the first row has'} "
                             f"{len(columns)} columns ({', '.join(columns)})")
        for j, col in enumerate(features):
            x[r, j] = _coordinate(cells[col], f"row {line}, column {columns[col]}")
        y[r] = _label(cells[label_col], f"row {line}, column {columns[label_col]}")
    return _finish(x.astype(np.float32), y, None, columns, "rows")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _coordinate(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {_quote(text)} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {text} is not a finite number")
    if abs(value) > MAX_COORDINATE:
        raise ValueError(f"{where}: {text} is outside ±{MAX_COORDINATE:,.0f}")
    return value


def _label(text, where: str) -> int:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {_quote(str(text))} is not a whole-number label") from None
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"{where}: {text} is not a whole-number label")
    if not 0 <= value < MAX_CLASSES:
        raise ValueError(f"{where}: label {int(value)} is not a class: labels are whole numbers 0 to {MAX_CLASSES - 1}")
    return int(value)


def _quote(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:27] + "...")


def _finish(x: np.ndarray, y: np.ndarray, image_shape, columns, unit: str) -> ParsedData:
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"every one of its {len(y)} {unit} has label {int(classes[0])}: a classifier needs at least "
                         "two classes")
    return ParsedData(np.ascontiguousarray(x, dtype=np.float32), y.astype(np.int64), int(classes.max()) + 1,
                      image_shape, tuple(columns))


# ----------------------------------------------------------------------------------------------
# .npz of images

def _read_npz(raw: bytes) -> ParsedData:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        shapes = {n[:-4]: _npy_header(archive, n) for n in archive.namelist() if n.endswith(".npy")}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise ValueError(f"is not a readable .npz ({str(err).splitlines()[0] if str(err) else type(err).__name__})"
                         ) from None
    for field in ("x", "y"):
        if field not in shapes:
            raise ValueError(f"has no array {field!r} (it has: {', '.join(sorted(shapes)) or 'none'}); an .npz holds "
                             "images x and labels y")
    (xshape, xtype), (yshape, ytype) = shapes["x"], shapes["y"]
    image_shape, transpose = _image_shape(xshape)
    n = xshape[0]
    if n > MAX_SAMPLES or n < MIN_DATA_ROWS:
        raise ValueError(f"field x: {n:,} images; between {MIN_DATA_ROWS} and {MAX_SAMPLES:,}")
    if yshape != (n,):
        raise ValueError(f"field y: shape {yshape} does not match {n} images in x (one label per image)")
    for field, dtype in (("x", xtype), ("y", ytype)):
        if dtype.kind not in "iuf":
            raise ValueError(f"field {field}: dtype {dtype} is not a real number type")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            x, y = np.asarray(npz["x"]), np.asarray(npz["y"])
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"is not a readable .npz ({str(err).splitlines()[0]})") from None
    if transpose:
        x = np.moveaxis(x, -1, 1)
    scale = float(np.iinfo(x.dtype).max) if x.dtype.kind in "iu" and x.dtype.itemsize == 1 else 1.0
    x = x.reshape(n, -1).astype(np.float64) / scale
    bad = ~np.isfinite(x).all(axis=1) | (np.abs(x) > MAX_COORDINATE).any(axis=1)
    if bad.any():
        raise ValueError(f"field x: image {int(np.argmax(bad))} has a value that is not finite or is outside "
                         f"±{MAX_COORDINATE:,.0f}")
    labels = np.empty(n, dtype=np.int64)
    for i, v in enumerate(y.tolist()):
        labels[i] = _label(v, f"field y, image {i}")
    return _finish(x, labels, image_shape, ("x", "y"), "images")


def _npy_header(archive: zipfile.ZipFile, member: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of one array of the archive, from its .npy header alone."""
    with archive.open(member) as f:
        version = np.lib.format.read_magic(f)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = reader(f)
    if dtype.hasobject:
        raise ValueError(f"array {member[:-4]!r} holds Python objects")
    return tuple(int(s) for s in shape), dtype


def _image_shape(shape: tuple[int, ...]) -> tuple[tuple[int, int, int], bool]:
    """((channels, h, w), whether channels come last) of an image stack's shape; ValueError otherwise."""
    if len(shape) == 3:
        c, h, w, last = 1, shape[1], shape[2], False
    elif len(shape) == 4 and shape[1] in (1, 3):
        c, h, w, last = shape[1], shape[2], shape[3], False
    elif len(shape) == 4 and shape[3] in (1, 3):
        c, h, w, last = shape[3], shape[1], shape[2], True
    else:
        raise ValueError(f"field x: shape {shape} is not a stack of images (n, h, w), (n, c, h, w) or (n, h, w, c) "
                         "with 1 or 3 channels")
    if not (4 <= h <= MAX_IMAGE_SIDE and 4 <= w <= MAX_IMAGE_SIDE):
        raise ValueError(f"field x: images of {h}×{w} pixels; between 4×4 and {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}")
    return (c, h, w), last
