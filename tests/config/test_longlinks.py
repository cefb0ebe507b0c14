"""A link past Streamlit's limits (1,000 parameters, 512 KB) keeps what fits, the forget set and the settings
first, and says so; within the limits nothing changes."""
from urllib.parse import parse_qs, urlencode

from streamlit.runtime.state import query_params

from explorer.config.longlinks import MAX_CHARS, MAX_FIELDS, TRIMMED, trim_query_string
from explorer.config.urlstate import from_params, key_rank
from explorer.ui import links


def read(query: str):
    return from_params({k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()})


def test_a_link_within_the_limits_is_untouched():
    query = urlencode({"ds": "blobs", "d.classes": "4", "f": "1-9"})
    assert trim_query_string(query, key_rank) == query


def test_too_many_parameters_keep_the_dataset_forget_set_and_settings_with_a_notice():
    junk = urlencode({f"x{i}": "1" for i in range(1500)})
    query = f"{junk}&ds=line&d.samples=20&c.jit.passes=7&f=3-5,31"  # everything the page needs comes last
    trimmed = trim_query_string(query, key_rank)
    assert trimmed.count("&") + 1 <= MAX_FIELDS and len(trimmed) <= MAX_CHARS
    scenario, ids, notices = read(trimmed)
    assert scenario.dataset.name == "line" and scenario.dataset.samples == 20 and ids == [3, 4, 5, 31]
    assert scenario.configs["jit"]["passes"] == 7
    assert any("1,504 parameter(s)" in n and "1,000 parameters" in n for n in notices), notices
    assert sum("unknown URL parameter" in n for n in notices) == 1  # a flood of unknown keys is one notice


def test_a_link_over_512_kb_keeps_a_forget_set_that_fits():
    query = urlencode({"pad": "y" * 600_000, "f": "3,17"})
    scenario, ids, notices = read(trim_query_string(query, key_rank))
    assert ids == [3, 17] and any("524,288 characters" in n for n in notices)


def test_a_forget_set_too_long_to_keep_is_named_not_lost_silently():
    query = "f=" + "1," * 300_000 + "1"
    scenario, ids, notices = read(trim_query_string(query, key_rank))
    assert ids == [] and any("forget set (f=) alone was over the limit" in n for n in notices), notices


def test_a_forged_marker_is_an_unknown_parameter():
    _, _, notices = read(f"{TRIMMED}=nonsense")
    assert notices == [f"Ignored unknown URL parameter '{TRIMMED}'."]


def test_the_server_reads_a_long_link_through_the_replacement():
    assert links.install()
    parsed = query_params._parse_query_string(urlencode({**{f"x{i}": "1" for i in range(1200)}, "f": "3"}))
    assert parsed["f"] == ["3"] and TRIMMED in parsed
