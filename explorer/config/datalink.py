"""A training set's hand edits and a user's data file in a link (explorer/config/urlstate.py calls these).

Keys: ``ea`` added points (``x1:x2:label`` or ``x:label``, comma-separated, in the order added), ``er`` removed ids
(ranges as in ``f``: ``3-5,9``), ``ef`` relabelled points (``id:label``), all naming ids of the unedited training
set (explorer/config/edits.py); ``data`` the SHA-256 of a data file this server holds, with ``ds=file``. Together the
edit keys hold at most :data:`~explorer.config.limits.MAX_EDIT_LINK_CHARS` characters; more edits than that do
not travel in a link (the scenario file carries them). A bad part is dropped with a one-line notice, as every
other parameter is.
"""
from __future__ import annotations

from explorer.config.datafile import DataFile
from explorer.config.limits import MAX_EDIT_LINK_CHARS, MAX_EDITS
from explorer.config.selection import encode_ids, expand, parse_id_ranges
from explorer.config.edits import DataEdits
from toy_data.files import FILE, known

KEYS = ("ea", "er", "ef")


def _num(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def edit_params(edits: DataEdits) -> dict[str, str]:
    """The edits as link parameters (empty ones left out)."""
    out = {"ea": ",".join(":".join([*map(_num, p[:-1]), str(int(p[-1]))]) for p in edits.added),
           "er": encode_ids(edits.removed),
           "ef": ",".join(f"{i}:{label}" for i, label in edits.flipped)}
    return {k: v for k, v in out.items() if v}


def link_chars(edits: DataEdits) -> int:
    return sum(len(v) for v in edit_params(edits).values())


def fits_link(edits: DataEdits) -> bool:
    """Whether these edits fit in a link (else the page offers the scenario file)."""
    return link_chars(edits) <= MAX_EDIT_LINK_CHARS


def edits_from_params(raw: dict[str, str], notices: list[str]) -> DataEdits:
    """The link's edits (every ``e*`` key is taken out of ``raw``); anything unreadable is dropped with a notice."""
    given = {k: raw.pop(k) for k in KEYS if k in raw}
    if not given:
        return DataEdits()
    size = sum(len(v) for v in given.values())
    if size > MAX_EDIT_LINK_CHARS:
        notices.append(f"Ignored the link's data edits: {size:,} characters, at most {MAX_EDIT_LINK_CHARS:,} in a link; "
                       "open the scenario file instead. The data starts unedited.")
        return DataEdits()
    try:
        added = [_point(p) for p in given.get("ea", "").split(",") if p.strip()]
        ranges, _ = parse_id_ranges(given.get("er", ""), 10**9)
        removed = sum(hi - lo + 1 for lo, hi in ranges)
        if removed > MAX_EDITS:  # counted before a range is expanded
            raise ValueError(f"{removed:,} removed ids: at most {MAX_EDITS:,} edits")
        flipped = [_pair(p) for p in given.get("ef", "").split(",") if p.strip()]
        return DataEdits.from_dict({"added": added, "removed": expand(ranges), "flipped": flipped})
    except ValueError as err:
        notices.append(f"Ignored the link's data edits ({str(err).splitlines()[0]}); the data starts unedited.")
        return DataEdits()


def _point(text: str) -> list:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"added point {text[:30]!r} is not x1:x2:label or x:label")
    return [float(v) for v in parts[:-1]] + [_whole(parts[-1])]


def _pair(text: str) -> list[int]:
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError(f"relabelled point {text[:30]!r} is not id:label")
    return [_whole(p) for p in parts]


def _whole(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise ValueError(f"{text[:20]!r} is not a whole number")
    return int(text)


def file_params(datafile: DataFile | None) -> dict[str, str]:
    return {"ds": FILE, "data": datafile.sha256} if datafile is not None else {}


def file_from_params(name: str, raw: dict[str, str], notices: list[str]) -> DataFile | None:
    """The data file a link names (``ds=file&data=<sha256>``) when this server holds it; else a notice and None."""
    sha = raw.pop("data", None)
    if name != FILE:
        if sha is not None:
            notices.append("Ignored URL parameter data (it goes with ds=file).")
        return None
    datafile = known(str(sha or "").strip().lower())
    if datafile is None:
        notices.append(f"Ignored URL parameter ds=file: this server holds no data file with sha256 "
                       f"{str(sha or '')[:12]!r}…; upload the file again (or open the scenario file). Using moons.")
    return datafile
