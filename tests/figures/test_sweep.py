"""The σ×η sweep heatmaps."""
from types import SimpleNamespace

import numpy as np

from explorer.figures.sweep import sweep_figure


def test_sweep_figure_shows_both_metrics():
    sweep = SimpleNamespace(xs=[0.5, 1.0], ys=[0.1, 0.2, 0.3], x="sigma", y="eta", method="jit",
                            metrics={"retain_acc": np.full((3, 2), 0.9), "forget_acc": np.array([[1, 1], [0, 0.5], [0, 0]])})
    fig = sweep_figure(sweep)
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert np.asarray(fig.data[1].z).shape == (3, 2) and list(fig.data[0].x) == ["0.5", "1"]
    assert list(fig.data[0].y) == ["0.1", "0.2", "0.3"]
