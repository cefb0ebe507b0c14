"""A link with ``seeds=8`` in a real Chromium: Unlearn draws the boundary cloud (each seed's retrained and method
boundaries) and the metric panels' bands over the seeds."""
from __future__ import annotations

import pytest

from tests.browser.test_app_browser import open_app, unlearn

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]
SMALL = "d.samples=80&t.epochs=150&c.jit.passes=4&grid=40"

TRACES = """el => {
    const gd = el.querySelector('.js-plotly-plot');
    const named = s => gd.data.filter(t => (t.name || '').startsWith(s)).length;
    return {retrained: named('retrained boundaries (8 seeds)'), original: named('original boundaries (8 seeds)'),
            method: gd.data.filter(t => / boundaries \\(8 seeds\\)$/.test(t.name || '') && t.line.dash === 'solid'
                                        && !(t.name || '').startsWith('original')).length,
            bands: gd.data.filter(t => t.fill === 'toself').length,
            points: gd.data.filter(t => (t.name || '').includes('KLoM')).length,
            drawnFills: el.querySelectorAll('g.scatterlayer path.js-fill').length,
            drawnDashed: [...el.querySelectorAll('g.scatterlayer path.js-line')]
                .filter(p => (p.style.strokeDasharray || 'none') !== 'none').length};
}"""


def test_a_seeds_link_draws_the_cloud_and_the_bands(page, server, shots, page_errors):
    open_app(page, server, f"{SMALL}&seeds=8&f=3,7")
    player, current = unlearn(page)
    assert current.text_content().strip() == "step 0"
    seen = player.evaluate(TRACES)
    assert seen["retrained"] == seen["original"] == seen["method"] == 8, seen
    assert seen["bands"] >= 3 and seen["points"] == 1, seen  # a band per metric panel; points filled by KLoM
    assert seen["drawnFills"] >= seen["bands"] and seen["drawnDashed"] >= 8, seen  # drawn, not only specified
    player.screenshot(path=str(shots / "seeds_cloud.png"))
    assert not page.get_by_text("Traceback").count()
    assert not page_errors, page_errors
