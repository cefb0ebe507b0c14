"""The budget benchmark's bookkeeping on one small case (how close the estimate comes is measured by
`bench --budget` and reported in the README, not asserted here)."""
from explorer.bench.budget import CASES, budget_benchmark, exact, format_table


def test_the_budget_benchmark_reports_estimate_and_measured_cpu_time():
    result = budget_benchmark(cases=["line (1-D), x=2"])
    row = result["cases"]["line (1-D), x=2"]
    assert row["estimate_seconds"] > 0 and row["measured_cpu_seconds"] > 0
    assert row["ratio"] == row["measured_cpu_seconds"] / row["estimate_seconds"]
    assert {"training", "set-up", "jit", "recording jit"} <= set(row["parts"])
    assert len(result["load_average_before"]) == 3
    assert "| line (1-D), x=2 |" in format_table(result)


def test_cases_train_every_configured_epoch():
    for make in CASES.values():
        train = exact(make()).train
        assert train.target_loss == 0 and train.patience == train.epochs
