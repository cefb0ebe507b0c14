"""Run the baselines' published code and the explorer's presets on the same weights, noise and batch
order, and print the largest weight difference per preset (0 = the same update, bit for bit).

Needs local checkouts of jwf40/Information-Theoretic-Unlearning and meghdadk/SCRUB, and optionally of
unlearning-challenge/starting-kit, OPTML-Group/Unlearn-Saliency and OPTML-Group/Unlearn-Sparse (nothing is
downloaded). The published functions are read from those files and executed here without their
module-level imports (torchvision, wandb), so no extra package is needed. This *executes code from the
checkouts you name* (only the named functions and two notebook cells): run it on checkouts you trust.
The explorer itself never executes or unpickles outside code. Run it as:

    python scripts/compare_published.py --jit-repo ../Information-Theoretic-Unlearning --scrub-repo ../SCRUB \
        [--starting-kit ../starting-kit] [--saliency-repo ../Unlearn-Saliency] [--sparse-repo ../Unlearn-Sparse]

Setting: the digits CNN of ``default_scenario("digits")``, forgetting class 3 (random 5 % for SSD too),
seed 0, one CPU thread. Where a published loader is shuffled, it is given a generator seeded as the
explorer seeds its shuffle (or, for the loops that take a prepared loader, the explorer's minibatch orders
through a sampler); loaders the scripts leave in order are used as the scripts build them.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import itertools
import json
import time
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import ConcatDataset, DataLoader, Sampler

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.unlearning import RunContext, get_method, run_method
from explorer.unlearning._common import cpu_generator, random_copy, random_wrong_labels

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
    parser.add_argument("--starting-kit", type=Path, help="checkout of unlearning-challenge/starting-kit")
    parser.add_argument("--saliency-repo", type=Path, help="checkout of OPTML-Group/Unlearn-Saliency")
    parser.add_argument("--sparse-repo", type=Path, help="checkout of OPTML-Group/Unlearn-Sparse")
    args = parser.parse_args()
    src = args.jit_repo / "src"
    torch.set_num_threads(1)

    scenario = replace(default_scenario("digits"), forget=ForgetSpec(forget_class=3), seed=SEED)
    trained = pipeline.train_original(scenario, device=CPU)
    data = trained.data
    ids = scenario.forget.resolve(data, SEED)
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
    # the first 500 retain samples of each class, in dataset order (src/forget_full_class_strategies.py 586-596)
    kept = np.concatenate([np.flatnonzero(ry.numpy() == c)[:500] for c in np.unique(ry.numpy())])
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

    # SSD: ParameterPerturber.calc_importance / modify_weight over the scripts' own loaders: the full-class
    # script's DataLoader(trainset, shuffle=True) (seeded here as the explorer seeds its shuffle), the random
    # script's ConcatDataset((retain, forget)), each at the script's batch size; the forget loader in order.
    ssd = load_functions(src / "ssd.py", {"ParameterPerturber"}, base_namespace())["ParameterPerturber"]
    for spec, preset in ((ForgetSpec(forget_class=3), "jit-repo-full-class"),
                         (ForgetSpec(random_fraction=0.05), "jit-repo-vgg-random"),
                         (ForgetSpec(random_fraction=0.05), "jit-repo-vit-random")):
        sids = spec.resolve(data, SEED)
        config = get_method("ssd").config_from(preset=preset)
        keep_s = np.ones(len(data.y_train), dtype=bool)
        keep_s[sids] = False
        forget_list = triples(torch.as_tensor(data.x_train[sids]), torch.as_tensor(data.y_train[sids]))
        if config.data_order == "shuffled":
            full = DataLoader(triples(torch.as_tensor(data.x_train), torch.as_tensor(data.y_train)),
                              batch_size=config.batch_size, shuffle=True, generator=cpu_generator(SEED))
        else:
            retain_list = triples(torch.as_tensor(data.x_train[keep_s]), torch.as_tensor(data.y_train[keep_s]))
            full = DataLoader(ConcatDataset((retain_list, forget_list)), batch_size=config.batch_size)
        model = copy.deepcopy(trained.model).eval()
        with quiet():
            perturber = ssd(model, torch.optim.SGD(model.parameters(), lr=0.1), "cpu",
                            {"lower_bound": 1, "exponent": 1, "magnitude_diff": None, "min_layer": -1, "max_layer": -1,
                             "forget_threshold": 1, "dampening_constant": config.lam,
                             "selection_weighting": config.alpha})
            forget_imp = perturber.calc_importance(DataLoader(forget_list, config.batch_size))
            full_imp = perturber.calc_importance(full)
            perturber.modify_weight(full_imp, forget_imp)
        mine = run_method("ssd", trained.model, data, sids, config, RunContext(device=CPU, seed=SEED)).model
        results[f"ssd/{preset}"] = max_diff(model, mine)

    # SCRUB: the JiT repo's full-class (clipped) and random copies
    for preset, file, kwargs in (("jit-repo-full-class", "forget_full_class_strategies.py", {}),
                                 ("jit-repo-random", "forget_random_strategies.py",
                                  dict(scrub_alpha=1, scrub_gamma=5))):
        config = get_method("scrub").config_from(preset=preset)
        g = cpu_generator(SEED)
        retain_orders = [torch.randperm(len(rx), generator=g) for _ in range(config.epochs)]
        scrub_ns = load_functions(src / file, {"DistillKL", "Namespace", "sgda_adjust_learning_rate", "param_dist",
                                               "train_distill", "scrub"}, base_namespace())
        model = copy.deepcopy(trained.model)
        with quiet():
            scrub_ns["scrub"](model, None, DataLoader(triples(rx, ry), config.batch_size,
                                                      sampler=Orders(retain_orders)),
                              None, DataLoader(triples(fx, fy), config.forget_batch_size), None, None, "cpu",
                              **kwargs)  # the scripts' forget loader: in order
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

    results.update(other_repos(args, trained, ids, rx, ry, fx, fy))
    width = max(map(len, results))
    for name, diff in results.items():
        print(f"{name:<{width}}  max |weight difference| {diff:.2e}")


def shuffled(x, y, batch_size, epochs):
    """A loader of (input, target) pairs reshuffled each epoch in the explorer's minibatch orders."""
    g = cpu_generator(SEED)
    return DataLoader([(x[i], y[i]) for i in range(len(x))], batch_size=batch_size,
                      sampler=Orders(torch.randperm(len(x), generator=g) for _ in range(epochs)))


@contextlib.contextmanager
def cpu_cuda():
    """The OPTML loops move every batch with ``.cuda()``: here that is the CPU."""
    original = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *a, **k: self
    try:
        yield
    finally:
        torch.Tensor.cuda = original


def optml(folder: Path, name: str, loaders: dict, model, epochs: int, lr: float):
    """OPTML-Group's ``name`` (GA or FT) through its iterative_unlearn wrapper (SGD, MultiStepLR), default args."""
    class Meter:
        avg = 0.0

        def update(self, *_):
            pass

    ns = base_namespace()
    ns.update(time=time, utils=types.SimpleNamespace(AverageMeter=Meter, accuracy=lambda *a: [
        torch.zeros(1)]), get_x_y_from_data_dict=None)
    load_functions(folder / "unlearn" / "impl.py", {"_iterative_unlearn_impl", "iterative_unlearn"}, ns)
    load_functions(folder / "unlearn" / f"{name}.py", {"GA"} if name == "GA" else {"FT", "FT_iter"}, ns)
    run_args = types.SimpleNamespace(decreasing_lr="91,136", rewind_epoch=0, unlearn_lr=lr, momentum=0.9,
                                     weight_decay=5e-4, imagenet_arch=False, unlearn=name, arch="resnet18",
                                     unlearn_epochs=epochs, warmup=0, print_freq=10**9, alpha=0.2, no_l1_epochs=0)
    with quiet(), cpu_cuda():
        ns[name](loaders, model, nn.CrossEntropyLoss(), run_args)
    return model


def other_repos(args, trained, ids, rx, ry, fx, fy) -> dict:
    """The starting kit's fine-tuning (its notebook's ``unlearning``) and OPTML-Group's GA and FT, when given."""
    out = {}
    if args.starting_kit:
        cells = json.loads((args.starting_kit / "unlearning-CIFAR10.ipynb").read_text())["cells"]
        kit = dict(torch=torch, nn=nn, optim=torch.optim, DEVICE="cpu")
        exec(next("".join(c["source"]) for c in cells if "def unlearning" in "".join(c["source"])), kit)
        model = kit["unlearning"](copy.deepcopy(trained.model), shuffled(rx, ry, 128, 5), None, None)
        out["finetune/starting-kit"] = max_diff(model, explorer_run("finetune", "starting-kit", trained, ids))
    for repo, folder, runs in ((args.sparse_repo, "", (("GA", "neggrad", "unlearn-sparse", 5, 1e-4),)),
                               (args.saliency_repo, "Classification", (("GA", "neggrad", "salun-ga-lr", 5, 1e-3),
                                                                        ("FT", "finetune", "salun", 10, 0.01)))):
        if repo is None:
            continue
        for name, method, preset, epochs, lr in runs:
            x, y = (fx, fy) if name == "GA" else (rx, ry)
            loaders = {"forget" if name == "GA" else "retain": shuffled(x, y, 256, epochs)}
            model = optml(repo / folder, name, loaders, copy.deepcopy(trained.model), epochs, lr)
            out[f"{method}/{preset}"] = max_diff(model, explorer_run(method, preset, trained, ids))
    return out


if __name__ == "__main__":
    main()
