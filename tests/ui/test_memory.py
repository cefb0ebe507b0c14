"""Server memory is bounded: repeated in-range Unlearn clicks on a heavy link (blobs, 10 classes, a 400 x 400 grid)
keep the shared run cache under its bound with the shown run kept, and a run that would keep more than the memory
budget is refused in one line before it starts, the forget set kept."""

import pytest
from streamlit.testing.v1 import AppTest

from explorer.config.cost import MEMORY_BUDGET
from explorer.ui import cache

HEAVY = {"ds": "blobs", "d.classes": "10", "grid": "400", "d.samples": "160", "t.epochs": "300",
         "c.jit.passes": "10"}
pytestmark = pytest.mark.timeout(900)


def unlearn(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Unlearn").click().run()
    assert not at.exception, at.exception


def forget_count(at) -> str:
    return next(m.value for m in at.markdown if "Forget set:" in m.value).lstrip("# ").strip()


def test_repeated_unlearn_clicks_keep_the_run_cache_under_its_bound(start):
    at = start({**HEAVY, "f": "1"}, fast=False, timeout=600)
    bound = cache.BOUNDS["result"][1]
    sizes = []
    for i in range(1, 7):  # six forget sets, six runs of about 70 MB each: over the 512 MB bound together
        at.query_params["f"] = str(i)
        at.run()
        unlearn(at)
        assert not at.error, [e.value for e in at.error]
        sizes.append(cache.cached_bytes()["result"])
        assert sizes[-1] <= bound, sizes
        shown = at.session_state["explore"].result
        assert cache._store()["result"].items[shown.key][0] is shown.outcome  # the run on screen stays cached
    assert max(sizes) > bound / 2  # the runs were big enough to need the bound


def test_a_run_over_the_memory_budget_is_refused_before_it_starts_and_keeps_the_forget_set(start):
    at = start({**HEAVY, "c.jit.passes": "30", "cmp": "finetune,neggrad,scrub,greedy,random_labels,neggrad_plus",
                "f": "3,4"}, fast=False, timeout=600)
    before = cache.cached_bytes()["result"]
    unlearn(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "memory budget of 512 MB" in errors[0], errors
    assert forget_count(at) == "Forget set: 2 points"
    assert cache.cached_bytes()["result"] == before and MEMORY_BUDGET == 512 * 2**20
