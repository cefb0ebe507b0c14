"""Links longer than Streamlit accepts: keep what fits, and say so.

Streamlit ignores a whole query string of more than 1,000 parameters or 512 KB
(``streamlit.runtime.state.query_params.sanitize_query_string``): the page would open with the default scenario,
no notice, and then write the defaults over the link. :func:`install` replaces that rule, for this server
process, with :func:`explorer.config.longlinks.trim_query_string`: within the same limits it keeps the dataset
and the forget set first, then the other parameters in order, and marks the link as trimmed, from which
:func:`explorer.config.urlstate.from_params` writes one notice.

The replacement is installed when the app first runs, after Streamlit has already read that first session's
query string; :func:`reload_if_dropped` reloads that one page, once, when its address holds a link over the
limits (measured in the browser), so the link is read again with the replacement in place.
"""
from __future__ import annotations

import functools
import logging
import threading

import streamlit as st
import streamlit.components.v1 as components
from streamlit.runtime import app_session
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state import query_params

from explorer.config.longlinks import MAX_CHARS, MAX_FIELDS, trim_query_string
from explorer.config.urlstate import key_rank

log = logging.getLogger("explorer.app")
_LOCK = threading.Lock()
_STATE = {"installed": False, "late_session": None}


def install() -> bool:
    """Put :func:`trim_query_string` in place of Streamlit's rule, once per process; False if Streamlit's
    internals have moved (then links past the limits are dropped as before, and the README says so)."""
    with _LOCK:
        if _STATE["installed"]:
            return True
        try:  # Streamlit's internals, imported here: if they move, the app still runs

            trim = functools.partial(trim_query_string, rank=key_rank)
            query_params.sanitize_query_string = trim
            app_session.sanitize_query_string = trim
            ctx = get_script_run_ctx()
            _STATE["late_session"] = ctx.session_id if ctx is not None else None
        except (ImportError, AttributeError) as err:
            log.warning("cannot keep links past Streamlit's query-string limits: %s", err)
            return False
        _STATE["installed"] = True
        return True


# In the browser: reload once when the address holds a link past the limits that the server never saw.
_RELOAD = """<script>
const q = window.parent.location.search.slice(1);
if ((q.length > %d || q.split("&").length > %d) && !sessionStorage.getItem("explorer-link-reloaded")) {
  sessionStorage.setItem("explorer-link-reloaded", "1");
  window.parent.location.reload();
}
</script>"""


def reload_if_dropped(params: dict) -> bool:
    """On the session whose first run installed the replacement, with no parameters to read: let the browser
    reload the page once if its link was past the limits (Streamlit dropped it before the replacement). True
    when the browser was asked (the page then leaves the address alone for this run)."""
    ctx = get_script_run_ctx()
    if params or ctx is None or ctx.session_id != _STATE["late_session"]:
        return False
    _STATE["late_session"] = None
    with st.container(height=1, border=False):
        components.html(_RELOAD % (MAX_CHARS, MAX_FIELDS), height=0)
    return True
