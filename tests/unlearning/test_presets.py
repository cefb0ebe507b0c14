"""Every baseline preset is pinned against the source it names: one table row per preset, with the
values the source sets and the file (and lines) its source text must cite. Then the published
behaviours that the presets switch on are checked to do what they say."""
from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest
import torch

from explorer.engine.models import predict_proba
from explorer.unlearning import METHODS, RunContext, get_method, run_method
from explorer.unlearning._common import cpu_generator
from explorer.unlearning.noise import PUBLISHED_PER_COPY, learn_noise, noise_copies, zero_grads

CPU = torch.device("cpu")
JIT = "jwf40/Information-Theoretic-Unlearning"
SCRUB_NB = "meghdadk/SCRUB small_scale_unlearning.ipynb"
SCRUB_LOOP = "thirdparty/repdistiller/helper/loops.py lines 137-290"
_JIT_SCRUB = dict(epochs=3, msteps=2, lr=5e-4, optimizer="sgd", momentum=0.9, weight_decay=5e-4, temperature=4.0,
                  lr_decay_epochs=(5, 8, 9))

# (method, preset, the values the source sets, fragments the source text must contain). Every row of a published
# preset pins its data pipeline too (PIPELINE: batch sizes, data order, optimiser, momentum, weight decay, schedule),
# checked against the published repositories: jwf40/Information-Theoretic-Unlearning (c967614),
# if-loops/selective-synaptic-dampening (cdfdc0e), meghdadk/SCRUB (98ffb11), unlearning-challenge/starting-kit
# (901e784), OPTML-Group/Unlearn-Saliency (a6e89fd), OPTML-Group/Unlearn-Sparse (80ba55d) and
# vikram2000b/Fast-Machine-Unlearning.
_FT_JIT = dict(epochs=5, lr=0.02, optimizer="sgd", momentum=0.9, weight_decay=5e-4, schedule="constant",
               anchor_weight=0.0, train_mode=True)  # fit_one_cycle: SGD, no scheduler without milestones
_GA_OPTML = dict(epochs=5, batch_size=256, optimizer="sgd", momentum=0.9, weight_decay=5e-4)  # arg_parser, impl.py
TABLE = [
    # UNSIR / EMMN: src/forget_full_class_strategies.py UNSIR and emmn with src/unlearn.py's noise helpers
    ("unsir", "explorer", dict(noise_batch=32, noise_steps=25, noise_lr=0.1, noise_reg=0.1, noise_copies=80,
                               three_per_copy=False, stale_noise_grads=False, noise_train_mode=False, batch_size=64,
                               repair_batch_size=64),
     ["this explorer"]),
    ("unsir", "jit-repo", dict(noise_batch=32, noise_steps=25, noise_lr=0.1, noise_reg=0.1, noise_copies=80,
                               three_per_copy=True, stale_noise_grads=True, noise_train_mode=True, per_class=500,
                               impair_epochs=1, repair_epochs=1, lr=1e-4, repair_lr=1e-4, batch_size=32,
                               repair_batch_size=128, first_per_class=True),
     [f"{JIT} src/forget_full_class_strategies.py lines 589-631", "src/unlearn.py lines 134-154 and 196-227",
      "the first 500 retain samples", "shuffled"]),
    ("unsir", "fast-machine-unlearning", dict(noise_batch=256, noise_steps=40, noise_lr=0.1, noise_reg=0.1,
                                              noise_copies=20, three_per_copy=True, stale_noise_grads=False,
                                              per_class=1000, lr=0.02, repair_lr=0.01, batch_size=256,
                                              repair_batch_size=256, first_per_class=True),
     ["vikram2000b/Fast-Machine-Unlearning Machine Unlearning.ipynb code cells 20", "class_num",
      "the first 1,000 retain samples", "shuffled"]),
    ("emmn", "explorer", dict(noise_batch=4, max_noise_steps=25, min_noise_steps=30, noise_copies=80,
                              min_noise_reg=0.1, three_per_copy=False, stale_noise_grads=False, noise_train_mode=False,
                              lr=1e-3, batch_size=64, epochs=2),
     ["this explorer"]),
    ("emmn", "jit-repo", dict(noise_batch=4, max_noise_steps=25, min_noise_steps=30, noise_lr=0.1, noise_reg=0.1,
                              min_noise_reg=0.0, noise_copies=80, three_per_copy=True, stale_noise_grads=True,
                              noise_train_mode=True, epochs=2, lr=1e-4, batch_size=4),
     [f"{JIT} src/forget_full_class_strategies.py lines 764-807", "src/unlearn.py lines 134-194"]),
    # SSD: (α, λ, importance batch, the order of the training set in its importance pass) per script
    ("ssd", "resnet18", dict(alpha=10, lam=1, batch_size=64, data_order="class_then_forget"),
     ["if-loops/selective-synaptic-dampening src/forget_full_class_main.py lines 58", "161-177", "lines 137-157"]),
    ("ssd", "vit", dict(alpha=5, lam=1, batch_size=64, data_order="class_then_forget"),
     ["src/forget_full_class_main.py lines 58, 161-177", "lines 137-157"]),
    ("ssd", "pins", dict(alpha=50, lam=0.1, batch_size=64, data_order="class_then_forget"),
     ["src/forget_full_class_main.py line 160", "lines 137-157"]),
    ("ssd", "ssd-repo-random", dict(alpha=10, lam=1, batch_size=128, data_order="retain_then_forget"),
     ["if-loops/selective-synaptic-dampening src/forget_random_main.py lines 57", "ConcatDataset((retain, forget))"]),
    ("ssd", "jit-repo-full-class", dict(alpha=1, lam=1, batch_size=128, data_order="shuffled"),
     [f"{JIT} src/forget_full_class_main.py lines 42", "157-159", "111 (importances over DataLoader(trainset, "
      "shuffle=True)"]),
    ("ssd", "jit-repo-vgg-sub-class", dict(alpha=5, lam=6, batch_size=64, data_order="class_then_forget"),
     [f"{JIT} src/forget_subclass_main.py lines 60", "179-181", "fine class by fine class"]),
    ("ssd", "jit-repo-vit-sub-class", dict(alpha=10, lam=1, batch_size=64, data_order="class_then_forget"),
     [f"{JIT} src/forget_subclass_main.py lines 60", "171-173", "fine class by fine class"]),
    ("ssd", "jit-repo-vgg-random", dict(alpha=10, lam=4, batch_size=128, data_order="retain_then_forget"),
     [f"{JIT} src/forget_random_main.py lines 57 and 125", "153-155", "ConcatDataset((retain, forget))"]),
    ("ssd", "jit-repo-vit-random", dict(alpha=3.5, lam=1, batch_size=128, data_order="retain_then_forget"),
     [f"{JIT} src/forget_random_main.py lines 57 and 125", "144-146", "ConcatDataset((retain, forget))"]),
    ("lf_ssd", "resnet18", dict(alpha=10, lam=1, batch_size=64, data_order="training"),
     ["src/forget_full_class_main.py lines 58, 161-177", "not reproduced"]),
    ("lf_ssd", "vit", dict(alpha=5, lam=1, batch_size=64, data_order="training"),
     ["src/forget_full_class_main.py lines 58, 161-177", "not reproduced"]),
    # SCRUB: its own notebooks (no clipping, both loaders shuffled) and the JiT repo's three copies (forget in order)
    ("scrub", "small-scale", dict(epochs=10, msteps=3, lr=5e-4, optimizer="adam", momentum=0.0, weight_decay=0.1,
                                  lr_decay_epochs=(5, 8, 9), temperature=2.0, alpha=0.5, gamma=1.0, batch_size=32,
                                  forget_batch_size=64, max_grad_norm=0.0, shuffle_forget=True),
     [SCRUB_NB, "code cells 26", SCRUB_LOOP, "both shuffled"]),
    ("scrub", "large-scale", dict(epochs=3, msteps=2, lr=5e-4, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                                  lr_decay_epochs=(3, 5, 9), temperature=4.0, alpha=0.001, gamma=0.99, batch_size=256,
                                  forget_batch_size=512, max_grad_norm=0.0, shuffle_forget=True),
     ["meghdadk/SCRUB large_scale_unlearning.ipynb code cells 28", SCRUB_LOOP, "both shuffled"]),
    ("scrub", "jit-repo-full-class", dict(**_JIT_SCRUB, alpha=0.001, gamma=0.99, batch_size=128,
                                          forget_batch_size=128, max_grad_norm=1.0, shuffle_forget=False),
     [f"{JIT} src/forget_full_class_strategies.py lines 986-1049", "line 1045", "src/forget_full_class_main.py",
      "the forget loader in order"]),
    ("scrub", "jit-repo-random", dict(**_JIT_SCRUB, alpha=1.0, gamma=5.0, batch_size=128, forget_batch_size=128,
                                      max_grad_norm=0.0, shuffle_forget=False),
     [f"{JIT} src/forget_random_strategies.py lines 641-703", "src/forget_random_main.py lines 125-126",
      "the forget loader in order"]),
    ("scrub", "jit-repo-sub-class", dict(**_JIT_SCRUB, alpha=1.0, gamma=5.0, batch_size=64, forget_batch_size=64,
                                         max_grad_norm=0.0, shuffle_forget=False),
     [f"{JIT} src/forget_subclass_strategies.py lines 603-665", "src/forget_subclass_main.py lines 60",
      "the forget loader in order"]),
    # Finetune (every source's retain loader is shuffled, as the explorer's)
    ("finetune", "explorer", dict(epochs=5, lr=0.02, momentum=0.9, weight_decay=0.0, schedule="one_cycle",
                                  batch_size=64), ["this explorer"]),
    ("finetune", "jit-repo", dict(**_FT_JIT, batch_size=128),
     [f"{JIT} src/forget_full_class_strategies.py lines 155-168", "src/utils.py lines 65-104"]),
    ("finetune", "jit-repo-sub-class", dict(**_FT_JIT, batch_size=64),
     [f"{JIT} src/forget_subclass_strategies.py lines 186-200"]),
    ("finetune", "starting-kit", dict(epochs=5, lr=0.1, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                                      schedule="cosine_epochs", batch_size=128, anchor_weight=0.0, train_mode=True),
     ["unlearning-challenge/starting-kit unlearning-CIFAR10.ipynb code cells 3", "CosineAnnealingLR(T_max=epochs) "
      "stepped once per epoch"]),
    ("finetune", "salun", dict(epochs=10, lr=0.01, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                               schedule="constant", batch_size=256, anchor_weight=0.0, train_mode=True),
     ["OPTML-Group/Unlearn-Saliency", "arg_parser.py lines 69-72 (batch 256"]),
    ("finetune", "scrub-notebook", dict(epochs=10, lr=0.01, optimizer="sgd", momentum=0.0, weight_decay=0.0,
                                        schedule="constant", batch_size=128, anchor_weight=0.1, train_mode=False),
     [SCRUB_NB, "code cells 70", "83"]),
    # NegGrad, NegGrad+
    ("neggrad", "explorer", dict(epochs=30, lr=1e-3, batch_size=128), ["this explorer", "thread 8"]),
    ("neggrad", "unlearn-sparse", dict(**_GA_OPTML, lr=1e-4),
     ["OPTML-Group/Unlearn-Sparse README", "arg_parser.py lines 67-70", "shuffled"]),
    ("neggrad", "salun-ga-lr", dict(**_GA_OPTML, lr=1e-3),
     ["OPTML-Group/Unlearn-Saliency, thread 8", "arg_parser.py lines 69-72", "shuffled"]),
    ("neggrad_plus", "explorer", dict(alpha=0.95, epochs=10, lr=0.01, momentum=0.9, weight_decay=5e-4,
                                      train_mode=True), ["this explorer"]),
    ("neggrad_plus", "scrub-notebook", dict(alpha=0.95, epochs=10, lr=0.01, batch_size=128, forget_batch_size=64,
                                            optimizer="sgd", momentum=0.0, weight_decay=0.1, train_mode=False),
     [SCRUB_NB, "code cells 70", "85"]),
    # Random labels, Bad Teacher (shuffled loaders, as the explorer's), greedy
    ("random_labels", "explorer", dict(epochs=3, lr=1e-3, batch_size=64, optimizer="adam"), ["this explorer"]),
    ("random_labels", "jit-repo", dict(epochs=3, lr=1e-4, batch_size=128, optimizer="adam"),
     [f"{JIT} src/forget_full_class_strategies.py lines 233-263", "src/unlearn.py lines 57-81"]),
    ("bad_teacher", "explorer", dict(retain_fraction=0.3, temperature=1.0, elementwise_kl=False), ["this explorer"]),
    ("bad_teacher", "jit-repo", dict(epochs=1, lr=1e-4, batch_size=256, retain_fraction=0.3, temperature=1.0,
                                     elementwise_kl=True),
     [f"{JIT} src/forget_full_class_strategies.py blindspot lines 183-218", "src/unlearn.py lines 84-122"]),
    ("bad_teacher", "jit-repo-vit", dict(epochs=1, lr=1e-4, batch_size=128, retain_fraction=0.3, elementwise_kl=True),
     ["lines 201-202"]),
    ("greedy", "figure-2", dict(steps=100, lr=0.01, optimizer="adam", target="runner_up", batch_size=0),
     ["arXiv 2402.01401 Figure 2"]),
    # JiT: the published scripts' forget loaders are in order, as the explorer's (batch sizes pinned here)
    ("jit", "explorer", dict(sigma=0.2, eta=0.002, max_step_change=0.05), ["this explorer"]),
    ("jit", "explorer-logits", dict(output_space="logits", eta=0.001, max_step_change=0.05), ["this explorer"]),
    ("jit", "digits-class", dict(sigma=0.7, eta=0.2, batch_size=256, max_step_change=0.0), ["this explorer"]),
    ("jit", "published", dict(output_space="logits", reduction="sum", accumulate_grads=True, clamp_to_batch_range=True,
                              train_mode=True, batch_size=128, max_step_change=0.0), [f"{JIT} src/lipschitz.py"]),
    ("jit", "paper-vgg-full-class", dict(sigma=0.5, eta=3e-4, batch_size=128, passes=1, max_step_change=0.0),
     [f"{JIT} src/forget_full_class_main.py"]),
    ("jit", "paper-vgg-sub-class", dict(sigma=0.01, eta=3e-4, batch_size=64, passes=1, max_step_change=0.0),
     [f"{JIT} src/forget_subclass_main.py"]),
    ("jit", "paper-vgg-random", dict(sigma=0.01, eta=3e-4, batch_size=128, passes=1, max_step_change=0.0),
     [f"{JIT} src/forget_random_main.py"]),
    ("jit", "paper-vit-full-class", dict(sigma=0.8, eta=1.5, batch_size=128, passes=1, max_step_change=0.0),
     [f"{JIT} src/forget_full_class_main.py"]),
    ("jit", "paper-vit-sub-class", dict(sigma=1.5, eta=0.5, batch_size=64, passes=1, max_step_change=0.0),
     [f"{JIT} src/forget_subclass_main.py"]),
    ("jit", "paper-vit-random", dict(sigma=0.5, eta=0.1, batch_size=128, passes=1, max_step_change=0.0),
     [f"{JIT} src/forget_random_main.py"]),
    ("jit", "notebook-simplecnn", dict(sigma=0.8, eta=2e-5, perturbations=100, batch_size=64, passes=1,
                                       accumulate_grads=False, max_step_change=0.0),
     [f"{JIT} src/Bonus Experiments.ipynb"]),
]
# The settings that make a data pipeline: every published row pins each one its method's config has.
PIPELINE = {"batch_size", "forget_batch_size", "repair_batch_size", "optimizer", "momentum", "weight_decay", "schedule",
            "data_order", "shuffle_forget", "first_per_class"}
OWNED = sorted({row[0] for row in TABLE})


@pytest.mark.parametrize("method, preset, values, cited", TABLE, ids=[f"{r[0]}/{r[1]}" for r in TABLE])
def test_each_preset_sets_its_sources_values_and_cites_the_file(method, preset, values, cited):
    entry = get_method(method).presets[preset]
    for name, expected in values.items():
        assert getattr(entry.config, name) == expected, f"{method}/{preset}: {name}"
    for fragment in cited:
        assert fragment in entry.source, f"{method}/{preset} source does not cite {fragment!r}"
    entry.config.validate()


@pytest.mark.parametrize("method, preset, values, cited", TABLE, ids=[f"{r[0]}/{r[1]}" for r in TABLE])
def test_each_published_preset_pins_its_data_pipeline(method, preset, values, cited):
    """Batch sizes, data order, optimiser, momentum, weight decay and schedule: not only the values a README names."""
    if cited == ["this explorer"] or cited[0].startswith("this explorer"):
        return
    config_fields = {f.name for f in fields(get_method(method).config_cls)}
    missing = (PIPELINE & config_fields) - set(values)
    assert not missing, f"{method}/{preset}: pin {sorted(missing)} against the source too"


@pytest.mark.parametrize("method", OWNED)
def test_the_table_has_one_row_for_every_preset(method):
    rows = [r[1] for r in TABLE if r[0] == method]
    assert sorted(rows) == sorted(METHODS[method].presets), f"{method}: add a row for each new preset"


# ---- the switched-on behaviours ------------------------------------------------------------------


def test_three_per_copy_keeps_only_the_first_three_noise_samples_of_each_copy():
    noise = torch.arange(32 * 5, dtype=torch.float32).reshape(32, 5)
    published = noise_copies(noise, 80, three_per_copy=True)
    assert published.shape == (80 * PUBLISHED_PER_COPY, 5)
    assert torch.equal(published[:3], noise[:3]) and torch.equal(published[3:6], noise[:3])
    assert noise_copies(noise, 80, three_per_copy=False).shape == (80 * 32, 5)


@pytest.mark.parametrize("maximise", [True, False])
def test_stale_noise_grads_collect_the_weight_gradient_of_every_noise_step(blobs3, maximise):
    """The published noise steps call loss.backward() on the model too; the switch keeps that sum."""
    _, _, model, _ = blobs3
    grads_before = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    one_step = zero_grads(model)
    noise = learn_noise(model, 2, 5, 2, maximise=maximise, steps=1, lr=0.1, reg=0.1, generator=cpu_generator(0),
                        device=CPU, weight_grads=one_step)
    start = torch.randn((5, 2), generator=cpu_generator(0))
    ce = torch.nn.functional.cross_entropy(model(start), torch.full((5,), 2))
    expected = torch.autograd.grad(-ce if maximise else ce, list(model.parameters()))
    for got, want in zip(one_step, expected):
        assert torch.allclose(got, want, atol=1e-6)
    two_steps = zero_grads(model)
    again = learn_noise(model, 2, 5, 2, maximise=maximise, steps=2, lr=0.1, reg=0.1, generator=cpu_generator(0),
                        device=CPU, weight_grads=two_steps)
    assert not torch.equal(again, noise) and any(not torch.allclose(a, b) for a, b in zip(two_steps, one_step))
    for p, before in zip(model.parameters(), grads_before):  # the model is left as it was
        assert p.requires_grad and (p.grad is None if before is None else torch.equal(p.grad, before))


def test_noise_train_mode_learns_the_noise_with_dropout_active():
    from explorer.engine.models import build_model
    from explorer.config.model import ModelConfig

    model = build_model(ModelConfig(width=16, dropout=0.5), 2, 3, seed=0).eval()
    args = dict(maximise=True, steps=5, lr=0.1, reg=0.1, device=CPU)
    eval_a = learn_noise(model, 1, 8, 2, generator=cpu_generator(0), **args)
    eval_b = learn_noise(model, 1, 8, 2, generator=cpu_generator(0), **args)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        dropped = learn_noise(model, 1, 8, 2, generator=cpu_generator(0), train_mode=True, **args)
    assert torch.equal(eval_a, eval_b) and not torch.equal(eval_a, dropped)
    assert not model.training  # the caller's mode is restored


@pytest.fixture(scope="module")
def digits(single_thread):
    from explorer import pipeline
    from explorer.config.scenario import ForgetSpec
    from explorer.scenarios import default_scenario

    with single_thread(1):
        base = default_scenario("digits")
        trained = pipeline.train_original(replace(base, forget=ForgetSpec(forget_class=3)), device=CPU)
    return trained, base


def _acc(model, x, y):
    return float((predict_proba(model, x).argmax(1) == y).mean())


def test_emmn_jit_repo_takes_its_published_1200_steps_on_digits_and_changes_the_model(digits, single_thread):
    """80 copies × 10 classes × 3 noise samples = 2,400 inputs at batch 4 for 2 epochs. A preset of 2
    steps left the model as it was; this one moves it. On digits it hurts the retained classes (retain
    accuracy 0.995 -> 0.52-0.74 over seeds 0-8) and, with the published stale noise gradients, leaves
    class 3 recognised (forget accuracy 1.0 on each of those seeds)."""
    trained, _ = digits
    data = trained.data
    ids = np.flatnonzero(data.y_train == 3)
    with single_thread(1):
        result = run_method("emmn", trained.model, data, ids, get_method("emmn").config_from(preset="jit-repo"),
                            RunContext(device=CPU, seed=0))
    assert result.trajectory.points[-1].step == 2 * (80 * 10 * 3) // 4 == 1200
    retain = np.setdiff1d(np.arange(len(data.y_train)), ids)
    assert _acc(trained.model, data.x_train[retain], data.y_train[retain]) > 0.98
    assert _acc(result.model, data.x_train[retain], data.y_train[retain]) < 0.9


def test_unsir_jit_repo_impairs_at_batch_32_and_repairs_at_batch_128(digits, single_thread):
    trained, _ = digits
    data = trained.data
    ids = np.flatnonzero(data.y_train == 3)
    with single_thread(1):
        result = run_method("unsir", trained.model, data, ids, get_method("unsir").config_from(preset="jit-repo"),
                            RunContext(device=CPU, seed=0))
    retained = len(data.y_train) - len(ids)  # every retain sample: digits has < 500 per class
    impair, repair = -(-(80 * 3 + retained) // 32), -(-retained // 128)
    assert result.trajectory.points[-1].step == impair + repair


def test_ssd_data_order_and_batch_change_which_weights_are_dampened(digits, single_thread):
    """The importance is a squared batch-mean gradient, so which samples share a batch matters: the presets carry
    the script's data order and batch size. Random 5 %, α 10, λ 4 at batch 128 dampens about a hundred weights in
    training order and none over the script's ConcatDataset((retain, forget)); for a whole class (α 1, λ 1, the
    script's shuffled loader) batch 128 dampens more than batch 64."""
    from explorer.config.scenario import ForgetSpec

    trained, base = digits

    def dampened(spec, preset, **values):
        ids = spec.resolve(trained.data, base.seed)
        config = get_method("ssd").config_from(values, preset=preset)
        with single_thread(1):
            return run_method("ssd", trained.model, trained.data, ids, config,
                              RunContext(device=CPU)).trajectory.points[-1].loss

    random5 = ForgetSpec(random_fraction=0.05)
    published = dampened(random5, "jit-repo-vgg-random")
    assert dampened(random5, "jit-repo-vgg-random", data_order="training") > 20 + 5 * published
    whole = ForgetSpec(forget_class=3)
    assert dampened(whole, "jit-repo-full-class") > 1.05 * dampened(whole, "jit-repo-full-class", batch_size=64)


def test_ssd_data_orders_put_the_rows_where_the_scripts_loaders_do():
    from explorer.unlearning._common import cpu_generator
    from explorer.unlearning.base import UnlearnData
    from explorer.unlearning.ssd import training_order

    y = np.array([2, 0, 1, 0, 2, 1, 0])
    forget = np.array([False, True, False, False, False, False, True])
    data = UnlearnData(n_classes=3, train_x=np.zeros((7, 2)), train_y=y, train_forget=forget)
    assert training_order(data, "training", 0).tolist() == list(range(7))
    loader = torch.utils.data.DataLoader(range(7), batch_size=3, shuffle=True, generator=cpu_generator(5))
    assert training_order(data, "shuffled", 5).tolist() == [i for batch in loader for i in batch.tolist()]
    assert training_order(data, "retain_then_forget", 0).tolist() == [0, 2, 3, 4, 5, 1, 6]
    assert training_order(data, "class_then_forget", 0).tolist() == [3, 2, 5, 0, 4, 1, 6]
    with pytest.raises(ValueError, match="label"):
        get_method("lf_ssd").config_from({"data_order": "class_then_forget"})


def _blob_run(blobs3, method, **values):
    data, initial, model, ids = blobs3
    config = get_method(method).config_from(values)
    return model, run_method(method, model, data, ids, config, RunContext(device=CPU, seed=0, initial_model=initial))


def _distance(a, b):
    with torch.no_grad():
        return float(sum(((p - q) ** 2).sum() for p, q in zip(a.parameters(), b.parameters())))


def test_scrub_clips_the_gradient_norm_when_asked(blobs3, single_thread):
    """With plain SGD (no momentum, no weight decay) a step moves the weights by lr·‖g‖, so a clipped
    run can move them by at most lr·max_grad_norm per step."""
    sgd = dict(epochs=2, msteps=1, lr_decay_epochs=(), optimizer="sgd", momentum=0.0, weight_decay=0.0, lr=0.05)
    with single_thread(1):
        model, free = _blob_run(blobs3, "scrub", **sgd)
        _, clipped = _blob_run(blobs3, "scrub", **sgd, max_grad_norm=1e-6)
    steps = clipped.trajectory.points[-1].step
    assert steps > 2
    assert _distance(model, clipped.model) ** 0.5 <= 0.05 * 1e-6 * steps * 1.01
    assert _distance(model, free.model) ** 0.5 > 100 * 0.05 * 1e-6 * steps


def test_finetune_anchor_pulls_towards_the_original_weights(blobs3, single_thread):
    with single_thread(1):
        model, free = _blob_run(blobs3, "finetune", epochs=20, lr=0.05, schedule="constant")
        _, anchored = _blob_run(blobs3, "finetune", epochs=20, lr=0.05, schedule="constant", anchor_weight=5.0)
    assert _distance(model, anchored.model) < 0.5 * _distance(model, free.model)


@pytest.mark.parametrize("method, field", [("finetune", "anchor_weight"), ("scrub", "max_grad_norm"),
                                           ("emmn", "min_noise_reg"), ("unsir", "repair_batch_size")])
def test_new_settings_refuse_negative_values_with_a_message(method, field):
    with pytest.raises(ValueError, match=method):
        get_method(method).config_from({field: -1})
