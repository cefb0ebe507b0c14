"""User-supplied text shown back to the user stays text: short, one line, and never rendered.

Messages quote what a link, a scenario file or a flag held with :func:`shown` (a short quoted form: a 70 KB
value becomes its first characters and its length, ``1e308`` stays ``1e+308``). What finally shows a
message goes through one of two helpers: :func:`for_terminal` (the CLI: the first line, at most
:data:`MAX_LINE` characters) or :func:`for_markdown` (a page's notice: the same line, made literal for
Streamlit's Markdown). Streamlit renders a notice as GitHub Markdown with KaTeX, emoji shortcodes and
coloured-text directives, and it turns bare ``https://``, ``www.`` and e-mail text into links even after
backslash escapes (a transform on the parsed text), so :func:`for_markdown` puts every word that could
become a link, an emoji or a directive in a code span (nothing inside a code span renders) and escapes
the Markdown punctuation everywhere else (CommonMark allows a backslash before any ASCII punctuation).
Pure: no Streamlit, so every layer can use it.
"""
from __future__ import annotations

import math
import re

MAX_VALUE = 60  # characters of one quoted value inside a message
MAX_LINE = 300  # characters of a whole notice or error line

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text) -> str:
    """``text`` as one line: line breaks and other control characters become one space."""
    return _CONTROL.sub(" ", str(text)).strip()


def clip(text, limit: int = MAX_LINE) -> str:
    """One line of at most ``limit`` characters (cut with "…" and the original length)."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    return f"{text[:max(1, limit - 1)]}… ({len(text):,} characters)"


def number(value) -> str:
    """A number in a message: a float with up to 6 significant digits, a whole number of more than 15 digits
    as its magnitude (never a 309-digit ``1e308``)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        try:
            return f"{float(value):.3g}"
        except OverflowError:  # past 1.8e308; str() itself refuses past 4,300 digits
            return f"a {int(value.bit_length() * math.log10(2)) + 1:,}-digit number"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return shown(value)


def shown(value, limit: int = MAX_VALUE) -> str:
    """A user-supplied value quoted in a message: text as a short repr (``'abc'``; a long one cut, with its
    length), numbers via :func:`number`, anything else as its short repr."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    if isinstance(value, str):
        text = one_line(value) if len(value) < 100_000 else one_line(value[:limit + 1])
        if len(text) <= limit and len(value) < 100_000:
            return repr(text)
        return f"{text[:limit]!r}… ({len(value):,} characters)"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - an object that cannot even describe itself
        text = f"<{type(value).__name__}>"
    return clip(text, limit)


def for_terminal(message, limit: int = MAX_LINE) -> str:
    """An error line for the CLI: the message's first line, at most ``limit`` characters."""
    text = str(message).strip()
    return clip(text.splitlines()[0] if text else type(message).__name__, limit)


# Words a transform of Streamlit's renderer could turn into a link (https://…, www.…, a@b.c), an emoji
# or icon (:smile:, :material/home:) or a coloured-text directive (:red[…]).
_LINKISH = re.compile(r"://|www\.|@|:\S", re.IGNORECASE)
# ASCII punctuation that can start or end a Markdown, HTML, entity, math or table construct.
_SPECIAL = set("\\`*[]<>$!~|&#")
_BLOCK_START = re.compile(r"^(?:[-+=]|\d+[.)])")


def for_markdown(message, limit: int = MAX_LINE) -> str:
    """A notice for ``st.warning`` / ``st.error`` / ``st.info``: :func:`for_terminal`'s line, shown exactly as
    text (no bold, link, image, HTML, math or emoji from what the user supplied)."""
    text = for_terminal(message, limit)
    words = re.split(r"(\s+)", text)
    out = [w if not w or w.isspace() else (_code(w) if _LINKISH.search(w) else _escape(w)) for w in words]
    result = "".join(out)
    if _BLOCK_START.match(result):  # a list item or a heading underline at the start of the line
        result = "\\" + result if not result[0].isdigit() else re.sub(r"^(\d+)([.)])", r"\1\\\2", result)
    return result


def _escape(word: str) -> str:
    out = []
    for i, ch in enumerate(word):
        inner = 0 < i < len(word) - 1 and word[i - 1].isalnum() and word[i + 1].isalnum()
        if ch in _SPECIAL or (ch == "_" and not inner):  # snake_case cannot start emphasis: left as is
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _code(word: str) -> str:
    """``word`` as a code span whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", word)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {word} {fence}"


def as_text(markdown: str) -> str:
    """What a reader sees of :func:`for_markdown`'s output (code spans' contents, escapes resolved): the
    inverse the tests and the benchmarks check notices with."""
    out, i = [], 0
    while i < len(markdown):
        fence = re.match(r"`+", markdown[i:])
        if markdown[i] == "\\" and i + 1 < len(markdown):
            out.append(markdown[i + 1])
            i += 2
        elif fence:
            end = markdown.find(fence.group(0), i + len(fence.group(0)))
            body = markdown[i + len(fence.group(0)):end if end >= 0 else len(markdown)]
            out.append(body[1:-1] if body.startswith(" ") and body.endswith(" ") and body.strip() else body)
            i = len(markdown) if end < 0 else end + len(fence.group(0))
        else:
            out.append(markdown[i])
            i += 1
    return "".join(out)
