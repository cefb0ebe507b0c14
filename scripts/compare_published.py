"""Run the baselines' published code and the explorer's presets on the same weights, noise and batch
order, and print the largest weight difference per preset (0 = the same update, bit for bit).

Needs local checkouts of jwf40/Information-Theoretic-Unlearning and meghdadk/SCRUB (nothing is
downloaded). The published functions are read from those files and executed here without their
module-level imports (torchvision, wandb), so no extra package is needed. This *executes code from the
checkouts you name* (only the named functions and two notebook cells): run it on checkouts you trust.
The explorer itself never executes or unpickles outside code. Run it as:

    python scripts/compare_published.py --jit-repo ../Information-Theoretic-Unlearning --scrub-repo ../SCRUB

Setting: the digits CNN of ``default_scenario("digits")``, forgetting class 3 (random 5 % for SSD too),
seed 0, one CPU thread. The explorer's minibatch orders are handed to the published loops through a
sampler, so only the update rules are compared.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import itertools
import json
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Sampler

from explorer import pipeline
from explorer.config.scenario import ForgetSpec, default_scenario
from explorer.unlearning import RunContext, get_method, run_method
from explorer.unlearning._common import cpu_generator, random_copy, random_wrong_labels
from explorer.config.selection import forget_ids

CPU = torch.device("cpu")
SEED = 0


def load_functions(path: Path, names: set[str], namespace: dict) -> dict:
    """Execute only the named top-level functions/classes of a source file into ``namespace``."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            exec(compile(ast.Module([node], []), str(path), "exec"), namespace)
    missing = names - set(namespace)
    if missing:
        raise SystemExit(f"{path} lacks {', '.join(sorted(missing))}")
    return namespace


def base_namespace() -> dict:
    return dict(torch=torch, nn=nn, F=F, np=np, DataLoader=DataLoader, deepcopy=copy.deepcopy,
                tqdm=lambda it, **_: it, get_metric_scores=lambda *a, **k: None, Dict=dict, List=list)


class Orders(Sampler):
    """Yields the explorer's index order for each successive pass over a loader."""

    def __init__(self, orders):
        self.orders, self.k = list(orders), 0

    def __len__(self):
        return len(self.orders[0])

    def __iter__(self):
        order = self.orders[self.k]
        self.k += 1
        return iter(order.tolist())


def triples(x, y):
    return [(x[i], y[i], y[i]) for i in range(len(x))]


def quiet():
    return contextlib.redirect_stdout(io.StringIO())


def max_diff(a: nn.Module, b: nn.Module) -> float:
    with torch.no_grad():
        return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


def explorer_run(name, preset, trained, ids, **overrides):
    config = replace(get_method(name).config_from(preset=preset), **overrides)
    return run_method(name, trained.model, trained.data, ids, config, RunContext(device=CPU, seed=SEED)).model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jit-repo", type=Path, required=True, help="checkout of jwf40/Information-Theoretic-Unlearning")
    parser.add_argument("--scrub-repo", type=Path, required=True, help="checkout of meghdadk/SCRUB")
    args = parser.parse_args()
    src = args.jit_repo / "src"
    torch.set_num_threads(1)

    scenario = replace(default_scenario("digits"), forget=ForgetSpec(forget_class=3), seed=SEED)
    trained = pipeline.train_original(scenario, device=CPU)
    data = trained.data
    ids = forget_ids(scenario.forget, data, SEED)
    keep = np.ones(len(data.y_train), dtype=bool)
    keep[ids] = False
    rx, ry = torch.as_tensor(data.x_train[keep]), torch.as_tensor(data.y_train[keep])
    fx, fy = torch.as_tensor(data.x_train[ids]), torch.as_tensor(data.y_train[ids])
    d, shape = rx.shape[1], trained.model.image_shape
    val = DataLoader(triples(rx[:8], ry[:8]), batch_size=4)
    results = {}

    ns = load_functions(src / "utils.py", {"accuracy", "training_step", "validation_step", "validation_epoch_end",
                                           "epoch_end", "evaluate", "get_lr", "fit_one_cycle"}, base_namespace())
    load_functions(src / "unlearn.py", {"UnlearnerLoss", "unlearning_step", "UNSIR_noise", "UNSIR_noise_train",
                                        "emmn_noise_train", "fit_one_unlearning_cycle"}, ns)

    # finetune: fit_one_cycle(5, lr=0.02) on the retain loader (batch 128)
    model = copy.deepcopy(trained.model)
    g = cpu_generator(SEED)
    loader = DataLoader(triples(rx, ry), batch_size=128, sampler=Orders(torch.randperm(len(rx), generator=g)
                                                                         for _ in range(5)))
    with quiet():
        ns["fit_one_cycle"](5, model, loader, val, device="cpu", lr=0.02)
    results["finetune/jit-repo"] = max_diff(model, explorer_run("finetune", "jit-repo", trained, ids))

    # amnesiac: fit_one_unlearning_cycle(3, lr=1e-4) on retain + relabelled forget (batch 128)
    wrong = torch.as_tensor(random_wrong_labels(data.y_train[ids], data.n_classes, cpu_generator(SEED + 1)))
    x, y = torch.cat([rx, fx]), torch.cat([ry, wrong])
    g = cpu_generator(SEED)
    model = copy.deepcopy(trained.model)
    loader = DataLoader(triples(x, y), batch_size=128, sampler=Orders(torch.randperm(len(x), generator=g)
                                                                      for _ in range(3)))
    with quiet():
        ns["fit_one_unlearning_cycle"](3, model, loader, val, lr=1e-4, device="cpu")
    results["random_labels/jit-repo"] = max_diff(model, explorer_run("random_labels", "jit-repo", trained, ids))

    # blindspot (Bad Teacher): one epoch of unlearning_step, batch 256
    g = cpu_generator(SEED)
    subset = torch.randperm(len(rx), generator=g)[: int(0.3 * len(rx))]
    x = torch.cat([fx, rx[subset]])
    is_forget = torch.cat([torch.ones(len(fx)), torch.zeros(len(subset))])
    loader = DataLoader([(x[i], is_forget[i]) for i in range(len(x))], batch_size=256,
                        sampler=Orders([torch.randperm(len(x), generator=g)]))
    student = copy.deepcopy(trained.model).train()
    opt = torch.optim.Adam(student.parameters(), lr=1e-4)
    ns["unlearning_step"](student, random_copy(trained.model, SEED + 7, CPU), copy.deepcopy(trained.model).eval(),
                          loader, opt, "cpu", 1)
    results["bad_teacher/jit-repo"] = max_diff(student, explorer_run("bad_teacher", "jit-repo", trained, ids))

    # UNSIR: noise 32×25 steps, 80 copies of 3, impair at 32, repair at 128 (stale noise gradients kept)
    model = copy.deepcopy(trained.model)
    noise = ns["UNSIR_noise"](32, *shape)
    noise.noise.data = torch.randn((32, d), generator=cpu_generator(SEED)).reshape(32, *shape)
    with quiet():
        noise = ns["UNSIR_noise_train"](noise, model, 3, 25, 32, device="cpu")
    rng = np.random.default_rng(SEED)
    kept = np.concatenate([rng.permutation(np.flatnonzero(ry.numpy() == c))[:500] for c in np.unique(ry.numpy())])
    kx, ky = rx[kept], ry[kept]
    nx = noise.noise.detach().reshape(32, d)[:3].repeat(80, 1)
    ix, iy = torch.cat([nx, kx]), torch.cat([torch.full((len(nx),), 3), ky])
    g = cpu_generator(SEED + 11)
    impair = DataLoader(triples(ix, iy), batch_size=32, sampler=Orders([torch.randperm(len(ix), generator=g)]))
    repair = DataLoader(triples(kx, ky), batch_size=128, sampler=Orders([torch.randperm(len(kx), generator=g)]))
    with quiet():
        ns["fit_one_unlearning_cycle"](1, model, impair, val, lr=1e-4, device="cpu")
        ns["fit_one_unlearning_cycle"](1, model, repair, val, lr=1e-4, device="cpu")
    results["unsir/jit-repo"] = max_diff(model, explorer_run("unsir", "jit-repo", trained, ids))

    # EMMN: forget-class noise 25 steps (reg), retained-class noise 30 steps (no reg), 80 copies of 3, batch 4
    model = copy.deepcopy(trained.model)
    gen = cpu_generator(SEED)
    noises = {}
    with quiet():
        for c in range(data.n_classes):
            n = ns["UNSIR_noise"](4, *shape)
            n.noise.data = torch.randn((4, d), generator=gen).reshape(4, *shape)
            train = ns["UNSIR_noise_train"] if c == 3 else ns["emmn_noise_train"]
            noises[c] = train(n, model, c, 25 if c == 3 else 30, 4, device="cpu").noise.detach().reshape(4, d)
    x = torch.cat([noises[c][:3].repeat(80, 1) for c in range(data.n_classes)])
    y = torch.cat([torch.full((240,), c) for c in range(data.n_classes)])
    g = cpu_generator(SEED + 11)
    loader = DataLoader(triples(x, y), batch_size=4, sampler=Orders(torch.randperm(len(x), generator=g)
                                                                    for _ in range(2)))
    with quiet():
        ns["fit_one_unlearning_cycle"](2, model, loader, val, lr=1e-4, device="cpu")
    results["emmn/jit-repo"] = max_diff(model, explorer_run("emmn", "jit-repo", trained, ids))

    # SSD: ParameterPerturber.calc_importance / modify_weight
    ssd = load_functions(src / "ssd.py", {"ParameterPerturber"}, base_namespace())["ParameterPerturber"]
    for spec, preset in ((ForgetSpec(forget_class=3), "jit-repo-full-class"),
                         (ForgetSpec(random_fraction=0.05), "jit-repo-vgg-random")):
        sids = forget_ids(spec, data, SEED)
        config = get_method("ssd").config_from(preset=preset)
        model = copy.deepcopy(trained.model).eval()
        with quiet():
            perturber = ssd(model, torch.optim.SGD(model.parameters(), lr=0.1), "cpu",
                            {"lower_bound": 1, "exponent": 1, "magnitude_diff": None, "min_layer": -1, "max_layer": -1,
                             "forget_threshold": 1, "dampening_constant": config.lam,
                             "selection_weighting": config.alpha})
        with quiet():
            forget_imp = perturber.calc_importance(DataLoader(
                triples(torch.as_tensor(data.x_train[sids]), torch.as_tensor(data.y_train[sids])), config.batch_size))
            full_imp = perturber.calc_importance(DataLoader(
                triples(torch.as_tensor(data.x_train), torch.as_tensor(data.y_train)), config.batch_size))
            perturber.modify_weight(full_imp, forget_imp)
        mine = run_method("ssd", trained.model, data, sids, config, RunContext(device=CPU, seed=SEED)).model
        results[f"ssd/{preset}"] = max_diff(model, mine)

    # SCRUB: the JiT repo's full-class (clipped) and random copies
    for preset, file, kwargs in (("jit-repo-full-class", "forget_full_class_strategies.py", {}),
                                 ("jit-repo-random", "forget_random_strategies.py",
                                  dict(scrub_alpha=1, scrub_gamma=5))):
        config = get_method("scrub").config_from(preset=preset)
        g = cpu_generator(SEED)
        forget_orders, retain_orders = [], []
        for epoch in range(1, config.epochs + 1):
            if epoch <= config.msteps:
                forget_orders.append(torch.randperm(len(fx), generator=g))
            retain_orders.append(torch.randperm(len(rx), generator=g))
        scrub_ns = load_functions(src / file, {"DistillKL", "Namespace", "sgda_adjust_learning_rate", "param_dist",
                                               "train_distill", "scrub"}, base_namespace())
        model = copy.deepcopy(trained.model)
        with quiet():
            scrub_ns["scrub"](model, None, DataLoader(triples(rx, ry), config.batch_size,
                                                      sampler=Orders(retain_orders)),
                              None, DataLoader(triples(fx, fy), config.forget_batch_size,
                                               sampler=Orders(forget_orders)), None, None, "cpu", **kwargs)
        results[f"scrub/{preset}"] = max_diff(model, explorer_run("scrub", preset, trained, ids))

    # The SCRUB notebook's finetune and NegGrad+ (code cells 70-71)
    cells = json.loads((args.scrub_repo / "small_scale_unlearning.ipynb").read_text())["cells"]

    class Meter:
        avg = 0

        def update(self, **_):
            pass

    class Targets(torch.utils.data.Dataset):
        def __init__(self, x, y):
            self.x, self.targets = x, y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i], self.targets[i]

    nb = dict(torch=torch, nn=nn, np=np, copy=copy, cycle=itertools.cycle, tqdm=lambda it, **_: it,
              AverageMeter=Meter, get_error=lambda *_: 0.0, log_metrics=lambda *_: None,
              args=types.SimpleNamespace(weight_decay=0.1))
    for i in (70, 71):
        exec("".join(cells[i]["source"]), nb)
    g = cpu_generator(SEED)
    model = copy.deepcopy(trained.model)
    nb["finetune"](model, DataLoader(Targets(rx, ry), batch_size=128,
                                     sampler=Orders(torch.randperm(len(rx), generator=g) for _ in range(10))),
                   lr=0.01, epochs=10, quiet=True)
    results["finetune/scrub-notebook"] = max_diff(model, explorer_run("finetune", "scrub-notebook", trained, ids))
    g, gf = cpu_generator(SEED), cpu_generator(SEED + 1)
    retain_orders, forget_orders = [], []
    for _ in range(10):
        forget_orders.append(torch.randperm(len(fx), generator=gf))
        retain_orders.append(torch.randperm(len(rx), generator=g))
    model = copy.deepcopy(trained.model)
    nb["negative_grad"](model, DataLoader(Targets(rx, ry), batch_size=128, sampler=Orders(retain_orders)),
                        DataLoader(Targets(fx, fy), batch_size=64, sampler=Orders(forget_orders)),
                        alpha=0.95, lr=0.01, epochs=10, quiet=True)
    results["neggrad_plus/scrub-notebook"] = max_diff(model, explorer_run("neggrad_plus", "scrub-notebook",
                                                                          trained, ids))

    width = max(map(len, results))
    for name, diff in results.items():
        print(f"{name:<{width}}  max |weight difference| {diff:.2e}")


if __name__ == "__main__":
    main()
