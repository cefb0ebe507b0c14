"""The many-seed benchmark's bookkeeping on a small scenario (its speed is measured by `bench`, not asserted)."""
from dataclasses import replace

from explorer.bench.seeds import format_rows, seeds_2d
from explorer.scenarios import default_scenario


def test_the_seeds_benchmark_times_both_counts_side_by_side_and_reports_ratios():
    small = replace(default_scenario("moons", samples=80), configs={"jit": {"passes": 3}}, grid_resolution=30)
    result = seeds_2d(k=2, scenario=small)
    for part in ("unlearn", "from_scratch"):
        runs = result[part]
        assert set(runs) == {"K=1", "K=2"}
        assert runs["K=2"]["wall_ratio"] == round(runs["K=2"]["wall_s"] / runs["K=1"]["wall_s"], 2)
        assert runs["K=1"]["cpu_s"] > 0
    assert "mean of 2 seeds" in result["unlearn"]["K=2"]["verdict"]
    assert "cannot tell" in result["unlearn"]["K=1"]["verdict"]
    rows = "\n".join(format_rows({"two_d": result}))
    assert "K=2" in rows and "× CPU" in rows
    # the cloud's figure size is reported beside its target, and the cloud makes it larger than one seed's
    assert result["figure_target_bytes"] == 5_000_000
    assert result["unlearn"]["K=2"]["figure_bytes"] > result["unlearn"]["K=1"]["figure_bytes"] > 0
    assert "seeds two_d unlearn K=2: animation figure" in rows and "(target ≤ 5 MB)" in rows
