"""What every figure shares: the class/confidence encoding and the self-contained HTML export."""
import numpy as np
import plotly.graph_objects as go

from explorer.figures import common as F


def test_encoding_is_uint8_class_and_confidence(grid, sector_probs):
    probs = sector_probs(grid, 3)
    z = F.encode_class_confidence(probs, grid.shape)
    assert z.dtype == np.uint8 and z.shape == grid.shape
    assert np.array_equal(z.ravel() // F.LEVELS, probs.argmax(1))
    sure = probs.max(1) > 0.99
    assert (z.ravel()[sure] % F.LEVELS == F.LEVELS - 1).all()
    assert len(F.class_colorscale(3)) == 2 * 3 * F.LEVELS


def test_html_is_self_contained():
    html = F.figure_html(go.Figure(go.Scatter(x=[0, 1], y=[1, 0])))
    assert "<html" in html and "Plotly.newPlot" in html and 'src="http' not in html
    assert len(html) > 1_000_000  # plotly.js is inlined
