"""User-supplied text in notices stays text: short, one line, and literal for Streamlit's Markdown.

The checks read :func:`for_markdown`'s output the way CommonMark does (code spans literal, a backslash before
punctuation makes it literal) and require that the text a reader sees is exactly the clipped input, that no
Markdown punctuation is left live outside a code span, and that every word one of Streamlit's text transforms
could turn into a link, an emoji or a directive sits inside a code span. A browser test checks the same in
real Chromium (tests/browser/test_app_browser.py)."""
import re

import pytest

from explorer.config.echo import MAX_LINE, for_markdown, for_terminal, number, shown

HOSTILE = [
    "**bold** and __strong__",
    "[Sign in](https://evil.example/login)",
    "![](http://evil.example/pixel.png)",
    "<img src=x onerror=alert(1)><b>html</b>",
    "$x^2$ and $$\\int_0^1 f$$",
    "value with `backticks` and ``double`` inside",
    "```fenced```",
    "www.evil.example and ftp://x.y and mailto:me@evil.example",
    "someone@evil.example",
    ":red[coloured] :smile: :material/home:",
    "# heading",
    "> quote",
    "- item",
    "1. first",
    "~~strike~~ and ~single~",
    "| a | b |",
    "&amp; &lt;script&gt;",
    "_em_ and *em* and snake_case_name",
    "trailing backslash \\",
    "<https://autolink.example>",
    "[ref]: https://evil.example",
    "line one\nline two\r\nthree",
]


def read_as_text(markdown: str) -> tuple[str, list[str], str]:
    """(what CommonMark shows, the code spans' contents, the text outside code spans with escapes kept)."""
    shown_text, spans, outside, i = [], [], [], 0
    while i < len(markdown):
        ch = markdown[i]
        if ch == "\\" and i + 1 < len(markdown) and markdown[i + 1] in r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~""":
            shown_text.append(markdown[i + 1])
            outside.append(markdown[i:i + 2])
            i += 2
        elif ch == "`":
            fence = re.match(r"`+", markdown[i:]).group(0)
            end = markdown.find(fence, i + len(fence))
            assert end > 0, f"an unclosed code span in {markdown!r}"
            body = markdown[i + len(fence):end]
            if body.startswith(" ") and body.endswith(" ") and body.strip():
                body = body[1:-1]
            spans.append(body)
            shown_text.append(body)
            i = end + len(fence)
        else:
            shown_text.append(ch)
            outside.append(ch)
            i += 1
    return "".join(shown_text), spans, "".join(outside)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_notice_reads_as_exactly_its_text(text):
    markdown = for_markdown(text)
    seen, spans, outside = read_as_text(markdown)
    assert seen == for_terminal(text)  # its first line, nothing added or lost
    live = re.sub(r"\\.", "", outside)  # what is left after the escapes
    for ch in "*[]<>$!~|&#`\\":
        assert ch not in live, (ch, markdown)
    assert not re.search(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", live), markdown  # no emphasis-capable underscore
    assert not re.match(r"[-+=>#]|\d+[.)]", outside), markdown  # no list, heading or quote at the start
    for word in re.split(r"\s+", live):
        assert not re.search(r"://|www\.|@|:\S", word, re.IGNORECASE), (word, markdown)


def test_backticks_inside_a_linkish_word_get_a_longer_fence():
    markdown = for_markdown("https://a.example/``x`")
    assert markdown.startswith("``` ") and markdown.endswith(" ```")
    assert read_as_text(markdown)[0] == "https://a.example/``x`"


def test_long_values_are_cut_with_their_length():
    value = "A" * 70_000
    text = shown(value)
    assert len(text) < 100 and "70,000 characters" in text
    assert len(for_markdown(f"Ignored {value}")) < MAX_LINE + 60
    assert len(for_terminal("x" * 100_000)) <= MAX_LINE + 30
    assert for_terminal("first line\nsecond") == "first line"


@pytest.mark.parametrize("value, expected", [(1e308, "1e+308"), (int(1e308), "1e+308"), (10**5000, "5,001-digit"),
                                             (-10**20, "-1e+20"), (123, "123"), (0.25, "0.25")],
                         ids=["1e308", "int-1e308", "5001-digits", "-1e20", "123", "0.25"])
def test_huge_numbers_are_shown_by_their_magnitude(value, expected):
    assert expected in number(value) and len(number(value)) < 30


def test_plain_messages_keep_their_words():
    line = "dataset.classes must be between 2 and 10 classes, got 99; using 10 (d.test_fraction too)."
    assert for_markdown(line) == line
