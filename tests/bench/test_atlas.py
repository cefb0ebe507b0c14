"""The atlas benchmark's bookkeeping on a few points (its speed is measured by `bench`, not asserted here)."""
from explorer.bench.atlas import atlas_benchmark, format_rows, mlp_flops_per_epoch


def test_flops_of_a_hand_sized_mlp():
    # 2 -> 3 -> 2 on 5 samples: forward 2*5*(2*3 + 3*2) = 120; backward: weight grads of both layers (120)
    # and the second layer's input gradient (60)
    assert mlp_flops_per_epoch([2, 3, 2], 5) == 120 + 180


def test_the_atlas_benchmark_compares_the_same_models():
    result = atlas_benchmark(points=3, ray=False)
    assert result["points"] == 3
    assert result["worst_train_agreement"] >= 0.995 and result["worst_jit_agreement"] >= 0.995
    assert result["speedup"] > 0 and result["floor_seconds"] > 0
    assert set(result["spearman"]) >= {"alpha_vs_loo", "lipschitz_vs_loo", "method_vs_loo"}
    assert "speedup" in "\n".join(format_rows(result))
