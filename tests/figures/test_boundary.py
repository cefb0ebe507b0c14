"""Decision boundaries traced as polylines where the class argmax changes."""
import numpy as np

from explorer.figures.boundary import boundary_xy


def test_two_class_boundary_is_where_the_probabilities_cross(grid, linear_probs):
    bx, by = boundary_xy(linear_probs(grid, offset=0.5), grid.xs, grid.ys)
    finite = np.isfinite(bx)
    assert finite.sum() >= len(grid.ys) - 1
    assert np.allclose(bx[finite], 0.5, atol=1e-3)
    assert np.isnan(bx).sum() == 0  # one straight line: a single chained polyline, no gaps
    assert bx.dtype == np.float32


def test_multiclass_boundaries_separate_every_pair(grid, sector_probs):
    probs = sector_probs(grid, 4)
    bx, by = boundary_xy(probs, grid.xs, grid.ys)
    finite = np.isfinite(bx)
    assert finite.sum() > 50
    # every boundary point lies between two classes: the top two probabilities are (nearly) equal
    pts = np.stack([bx[finite], by[finite]], 1)
    idx_x = np.abs(grid.xs[None] - pts[:, :1]).argmin(1)
    idx_y = np.abs(grid.ys[None] - pts[:, 1:]).argmin(1)
    p = probs.reshape(len(grid.ys), len(grid.xs), -1)[idx_y, idx_x]
    top2 = np.sort(p, 1)[:, -2:]
    assert np.median(top2[:, 1] - top2[:, 0]) < 0.3


def test_no_boundary_when_one_class_everywhere(grid):
    probs = np.tile(np.array([[0.9, 0.1]], np.float32), (len(grid.points), 1))
    bx, by = boundary_xy(probs, grid.xs, grid.ys)
    assert len(bx) == 0
