"""Links longer than Streamlit accepts (1,000 parameters or 512 KB: it would ignore the whole query string, so
the page opened with the defaults and no notice): what is kept, and the notice that says so. Pure; the server
side that puts :func:`trim_query_string` in place of Streamlit's rule is explorer/ui/links.py."""
from __future__ import annotations

from urllib.parse import unquote_plus


TRIMMED = "_trimmed"  # parameters.characters.kept.forget-set-dropped of a link past the limits
MAX_CHARS = 512 * 1024  # Streamlit's limits (CLIENT_STATE_QUERY_STRING_MAX_LENGTH / _MAX_FIELDS)
MAX_FIELDS = 1000
SCAN_CHARS = 8 * 2**20  # characters of an oversized link looked at (the rest is dropped, and counted)



def trim_query_string(query: str, rank=lambda name: 0) -> str:
    """``query`` itself when Streamlit's limits allow it, else the parameters that fit, lowest ``rank(name)``
    first (the page ranks the dataset and the forget set first, then the settings it knows), and
    :data:`TRIMMED`."""
    if not query or (len(query) <= MAX_CHARS and query.count("&") < MAX_FIELDS):
        return query or ""
    total_fields, total_chars = query.count("&") + 1, len(query)
    parts = [p for p in query[:SCAN_CHARS].split("&") if p]
    name = lambda part: unquote_plus(part.partition("=")[0][:64])  # noqa: E731
    ordered = sorted((p for p in parts if name(p) != TRIMMED), key=lambda p: rank(name(p)))  # stable: in order
    kept, size = [], 64  # room for the marker
    for part in ordered:
        if len(kept) < MAX_FIELDS - 1 and size + len(part) + 1 <= MAX_CHARS:
            kept.append(part)
            size += len(part) + 1
    lost_forget = int(any(name(p) == "f" for p in parts) and not any(name(p) == "f" for p in kept))
    return "&".join(kept + [f"{TRIMMED}={total_fields}.{total_chars}.{len(kept)}.{lost_forget}"])


def trimmed_notice(value: str) -> str | None:
    """The notice for :data:`TRIMMED`'s value, or None when it is not one this module wrote."""
    try:
        fields, chars, kept, lost_forget = (int(v) for v in str(value).split("."))
    except ValueError:
        return None
    text = (f"This link had {fields:,} parameter(s) and {chars:,} characters, over the server's limit "
            f"of {MAX_FIELDS:,} parameters and {MAX_CHARS:,} characters: kept {kept:,} (the dataset, the forget set "
            f"and the settings first); the others use their defaults.")
    if lost_forget:
        text += " Its forget set (f=) alone was over the limit, so the forget set starts empty."
    return text
