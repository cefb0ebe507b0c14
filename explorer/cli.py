"""Headless command line: `python -m explorer run ...` writes a JSON report; `bench` measures speed.

Bad input exits with status 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import typing
from dataclasses import replace
from pathlib import Path

from explorer.scenario import ForgetSpec, Scenario, ScenarioError, default_scenario
from toy_data import dataset_names


class UsageError(Exception):
    """Raised instead of argparse's multi-line usage dump."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise UsageError(message)


def _floats(text: str, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{what} must be comma-separated numbers, got {_quoted(text)}") from None
    if not all(math.isfinite(v) for v in values):
        raise UsageError(f"{what} must be finite numbers, got {_quoted(text)}")
    return values


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _id_list(text: str, what: str) -> tuple[int, ...]:
    """Ids and ranges (3,17,40-45), parsed by the URL's parser: never expanded past the largest training set."""
    from explorer.limits import MAX_SAMPLES
    from explorer.selection import expand, parse_id_ranges

    if text.strip() in ("", ","):
        return ()
    try:
        ranges, beyond = parse_id_ranges(text, MAX_SAMPLES)
    except ValueError as err:
        raise UsageError(f"{what} must be comma-separated integers: {err}") from None
    if beyond:
        raise ScenarioError(f"{beyond:,} forget id(s) are out of range: no training set has more than "
                            f"{MAX_SAMPLES:,} points (ids 0..{MAX_SAMPLES - 1})")
    return tuple(expand(ranges))


MAX_SCENARIO_BYTES = 1 * 2**20


def read_scenario_file(path: str) -> dict:
    """A scenario file's JSON, read at most :data:`MAX_SCENARIO_BYTES` (so /dev/zero or a 20 MB file stops at
    once) and parsed without blowing the stack; ScenarioError in one line otherwise."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SCENARIO_BYTES + 1)
    except OSError as err:
        raise ScenarioError(f"cannot read scenario {path!r}: {err.strerror or err}") from None
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"scenario {path!r} is larger than {MAX_SCENARIO_BYTES // 2**20} MB; a scenario is a few KB")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ScenarioError(f"cannot read scenario {path!r}: nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise ScenarioError(f"cannot read scenario {path!r}: {str(err).splitlines()[0]}") from None


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {text!r}") from None


def _switch(parser, name: str, help_text: str) -> None:
    parser.add_argument(f"--{name}", dest=name.replace("-", "_"), action=argparse.BooleanOptionalAction,
                        default=None, help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="train, forget, retrain, unlearn and write a JSON report")
    run.add_argument("--scenario", help="start from a scenario JSON (the app's download or a report); flags override it")
    data = run.add_argument_group("data")
    data.add_argument("--dataset", help=f"one of: {', '.join(dataset_names())} (default moons)")
    data.add_argument("--samples", type=int)
    data.add_argument("--noise", type=float)
    data.add_argument("--classes", type=int, help="classes for blobs / arms for spiral")
    data.add_argument("--seed", type=int, help="data, initial weights, random forget set and noise (default 0)")
    data.add_argument("--test-fraction", type=float)
    model = run.add_argument_group("model and training")
    model.add_argument("--model", choices=["mlp", "cnn"])
    model.add_argument("--depth", type=int)
    model.add_argument("--width", type=int)
    model.add_argument("--activation")
    model.add_argument("--epochs", type=int, help="upper bound; training stops once converged")
    model.add_argument("--lr", type=float, help="training learning rate")
    model.add_argument("--weight-decay", type=float)
    model.add_argument("--batch-size", type=int, help="training batch size (0 = full batch)")
    forget = run.add_argument_group("forget set (exactly one)")
    forget.add_argument("--forget-ids", help="comma-separated training ids, e.g. 3,17,42")
    forget.add_argument("--forget-class", type=int, help="every training point of this class")
    forget.add_argument("--forget-random", type=float, help="this fraction of the training set, at random")
    forget.add_argument("--forget-point", help="the training point nearest to X,Y")
    forget.add_argument("--forget-named", help="a named point of the dataset (two_blobs: high_information_target, "
                                               "low_information_target)")
    forget.add_argument("--forget-subclass", help="CLASS:CLUSTER, a k-means cluster (0 = largest) inside a class")
    method = run.add_argument_group("unlearning")
    method.add_argument("--method", help="the method to run (default jit)")
    method.add_argument("--compare", help="more methods to run on the same forget set, comma-separated")
    method.add_argument("--preset", help="a preset of --method (see `python -m explorer methods`)")
    method.add_argument("--set", action="append", metavar="METHOD.FIELD=VALUE",
                        help="any setting of any method run, e.g. --set scrub.alpha=0.5 (repeatable; "
                             "a tuple is comma-separated; `python -m explorer methods` lists each method's settings)")
    method.add_argument("--sigma", type=float, help="JiT: perturbation std σ")
    method.add_argument("--eta", type=float, help="JiT: SGD learning rate η")
    method.add_argument("--perturbations", type=int, help="JiT: perturbations per sample N")
    method.add_argument("--passes", type=int, help="JiT: passes over the forget set")
    method.add_argument("--jit-batch-size", type=int, help="JiT: forget samples per step")
    method.add_argument("--output-space", choices=["logits", "probs"], help="JiT: where ‖f(x) − f(x̃)‖ is measured")
    method.add_argument("--reduction", choices=["sum", "mean"], help="JiT: over the batch")
    _switch(method, "detach-perturbed", "JiT: treat f(x̃) as a constant target (published)")
    _switch(method, "clamp-to-batch-range", "JiT: clamp x̃ to the batch's min/max (published)")
    _switch(method, "accumulate-grads", "JiT: never zero gradients between batches (published)")
    _switch(method, "train-mode", "JiT: run the model in train mode (published)")
    run.add_argument("--device", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    run.add_argument("--record-every", type=int, help="record metrics every k-th step (default 1)")
    run.add_argument("--grid-resolution", type=int, help="2D evaluation grid size (default 100)")
    run.add_argument("--lipschitz-sigma", type=float,
                     help="σ of the forget_lipschitz metric's probe, the same for every method (default 0.1)")
    run.add_argument("--lipschitz-space", choices=["probs", "logits"],
                     help="where the forget_lipschitz probe measures output change (default probs)")
    run.add_argument("--threads", type=int, help="torch CPU threads (default: torch's; 1 is fastest for the 2D toys)")
    run.add_argument("--out", help="write the JSON report here (default: stdout)")

    sub.add_parser("methods", help="list the registered unlearning methods and their presets")

    cal = sub.add_parser("calibrate", help="the calibration study behind JiT's 2D defaults: JiT over a grid of "
                                           "settings × datasets × seeds × forget kinds, measured against retraining")
    from explorer.calibration import FORGET_KINDS, StudyGrid
    grid = StudyGrid()
    cal.add_argument("--sigmas", default=_join(grid.sigmas), help="JiT σ values (comma-separated)")
    cal.add_argument("--etas", default=_join(grid.etas), help="JiT η values")
    cal.add_argument("--passes", default=_join(grid.passes), help="JiT passes values")
    cal.add_argument("--step-guards", default=_join(grid.max_step_changes),
                     help="JiT max step change values (0 = the guard off)")
    cal.add_argument("--weight-decays", default=_join(grid.weight_decays),
                     help="weight decays of the original's training recipe")
    cal.add_argument("--datasets", default=_join(grid.datasets), help="2D toy datasets")
    cal.add_argument("--seeds", default=str(len(grid.seeds)), help="a count N (seeds 0..N-1) or a list A,B,...")
    cal.add_argument("--kinds", default=_join(grid.kinds), help=f"forget kinds, from: {', '.join(FORGET_KINDS)}")
    cal.add_argument("--at-defaults", action="store_true",
                     help="run JiT's current default setting only (σ, η, passes, step guard); other axes as given")
    _runner_flags(cal)
    cal.add_argument("--workers", type=int, help="worker processes (default: the usable cores)")
    cal.add_argument("--out", default="calibration.json", help="the study's JSON (every run and every cell)")

    atlas = sub.add_parser("atlas", help="the atlas of a 2D scenario: every training point's leave-one-out influence, "
                                         "the method's influence, α(x) and the local Lipschitz estimate")
    for action in run._actions:  # every scenario flag of `run` applies (the forget-set flags are not used)
        if action.dest not in ("help", "out", "threads") and not action.dest.startswith("forget_"):
            atlas._add_action(action)
    atlas.set_defaults(**{a.dest: None for a in run._actions if a.dest.startswith("forget_")})
    _runner_flags(atlas)
    atlas.add_argument("--workers", type=int, help="processes or Ray tasks at once (default: the usable cores)")
    atlas.add_argument("--out", help="write the atlas JSON here (default: stdout)")

    bench = sub.add_parser("bench", help="measure the JiT engine (and the app's latency) and write JSON")
    bench.add_argument("--out", default="bench.json")
    bench.add_argument("--repeats", type=int, default=7, help="timed repetitions per measurement (median)")
    bench.add_argument("--device", default="auto")
    bench.add_argument("--load", metavar="N[,N...]",
                       help="instead: the classroom load benchmark, N concurrent browser sessions against a real "
                            "`streamlit run` server (e.g. --load 1,10,30); needs /usr/bin/chromium and playwright")
    bench.add_argument("--load-timeout", type=float, default=600.0, help="seconds one load session may take")
    return parser


def _join(values) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


JIT_FLAGS = ("sigma", "eta", "perturbations", "passes", "output_space", "reduction", "detach_perturbed",
             "clamp_to_batch_range", "accumulate_grads", "train_mode")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    if args.scenario:
        raw = read_scenario_file(args.scenario)
        base = Scenario.from_dict(raw.get("scenario", raw) if isinstance(raw, dict) else raw)
        if args.dataset and args.dataset != base.dataset.name:
            base = replace(base, dataset=replace(base.dataset, name=args.dataset))
    else:
        try:
            base = default_scenario(args.dataset or "moons", seed=args.seed)
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    given = lambda **kv: {k: v for k, v in kv.items() if v is not None}  # noqa: E731
    dataset = replace(base.dataset, **given(samples=args.samples, noise=args.noise, classes=args.classes,
                                            seed=args.seed, test_fraction=args.test_fraction))
    model = replace(base.model, **given(kind=args.model, depth=args.depth, width=args.width,
                                        activation=args.activation))
    train = replace(base.train, **given(epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                                        batch_size=args.batch_size, seed=args.seed))
    forget = _forget_from_args(args) or base.forget
    method = args.method or base.method
    configs = {k: dict(v) for k, v in base.configs.items()}
    jit_values = given(**{k: getattr(args, k) for k in JIT_FLAGS}, batch_size=args.jit_batch_size)
    if jit_values:
        configs["jit"] = {**configs.get("jit", {}), **jit_values}
    presets = dict(base.presets)
    if args.preset:
        presets[method] = args.preset
    compare = tuple(m.strip() for m in args.compare.split(",") if m.strip()) if args.compare else base.compare
    scenario = replace(base, dataset=dataset, model=model, train=train, forget=forget, method=method,
                       compare=compare, configs=configs, presets=presets,
                       **given(device=args.device, seed=args.seed, record_every=args.record_every,
                               grid_resolution=args.grid_resolution, lipschitz_sigma=args.lipschitz_sigma,
                               lipschitz_space=args.lipschitz_space))
    return apply_sets(scenario, args.set or ())


def apply_sets(scenario: Scenario, items) -> Scenario:
    """``METHOD.FIELD=VALUE`` overrides, each checked against the method's config (its fields, their types,
    its validation) before any work starts."""
    from dataclasses import fields

    from explorer.pipeline import method_config
    from explorer.urlstate import parse_value

    for item in items:
        key, eq, text = item.partition("=")
        name, dot, field = key.strip().partition(".")
        if not (eq and dot and name and field):
            raise UsageError(f"--set takes METHOD.FIELD=VALUE, got {item!r}")
        if name == "retrain":
            raise ScenarioError(f"--set {key}: the retrained reference uses the training recipe; "
                                "set it with --epochs, --lr, --weight-decay or --batch-size")
        if name not in scenario.methods:
            raise ScenarioError(f"--set {key}: {name} is not run; add --method {name} or --compare {name}")
        current = method_config(scenario, name)
        known = [f.name for f in fields(current)]
        if field not in known:
            raise ScenarioError(f"--set {key}: {name} has no setting {field!r}; it has {', '.join(known)}")
        like = getattr(current, field)
        if typing.get_type_hints(type(current)).get(field) is float and not isinstance(like, bool):
            like = float(like)  # a preset may write 10 for a float setting: parse what the field declares
        try:
            value = parse_value(text, like)
        except (ValueError, OverflowError) as err:
            raise ScenarioError(f"--set {key}: {err}") from None
        configs = {k: dict(v) for k, v in scenario.configs.items()}
        configs.setdefault(name, {})[field] = value
        scenario = replace(scenario, configs=configs)
        method_config(scenario, name)  # the config's own validation, one line
    return scenario


def _forget_from_args(args) -> ForgetSpec | None:
    options = {}
    if args.forget_ids is not None:
        options["ids"] = _id_list(args.forget_ids, "--forget-ids")
        if not options["ids"]:
            raise ScenarioError("the forget set is empty; --forget-ids lists no id")
    if args.forget_class is not None:
        options["forget_class"] = args.forget_class
    if args.forget_random is not None:
        options["random_fraction"] = args.forget_random
    if args.forget_point is not None:
        options["point"] = _floats(args.forget_point, "--forget-point")
    if args.forget_named is not None:
        options["named"] = args.forget_named
    if args.forget_subclass is not None:
        parts = _ints(args.forget_subclass.replace(":", ","), "--forget-subclass")
        if len(parts) != 2:
            raise UsageError(f"--forget-subclass takes CLASS:CLUSTER, got {args.forget_subclass!r}")
        options["subclass"] = parts
    if len(options) > 1:
        raise ScenarioError(f"conflicting forget options ({', '.join('--forget-' + k for k in _flag_names(options))}); "
                            "give exactly one")
    return ForgetSpec(**options) if options else None


def _flag_names(options: dict) -> list[str]:
    names = {"ids": "ids", "forget_class": "class", "random_fraction": "random", "point": "point",
             "named": "named", "subclass": "subclass"}
    return [names[k] for k in options]


def cmd_run(args) -> int:
    from explorer import pipeline  # heavy imports only when needed
    from explorer.device import torch_threads

    scenario = scenario_from_args(args)
    if args.threads is not None and args.threads < 1:
        raise ScenarioError(f"--threads must be >= 1, got {args.threads}")
    if args.out:
        _checked_out(args.out)  # before the run, not after it
    with torch_threads(args.threads):
        outcome = pipeline.run(scenario)
    report = outcome.report()
    text = json.dumps(report, indent=2)
    if args.out:
        try:
            Path(args.out).write_text(text)
        except OSError as err:
            raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
        print(summary(report))
    else:
        print(text)
    return 0


def summary(report: dict) -> str:
    """A short table of the headline metrics per model (the metric registry's "summary" choice)."""
    from explorer.metrics import metric_names
    keys = metric_names("summary")
    lines = [f"{'model':<14}" + "".join(f"{k:>24}" for k in keys) + f"{'avg_gap':>9}{'seconds':>9}"]
    for name, entry in report["models"].items():
        cells = "".join(f"{_fmt(entry['metrics'].get(k)):>24}" for k in keys)
        lines.append(f"{name:<14}{cells}{_fmt(entry.get('avg_gap')):>9}{_fmt(entry.get('seconds')):>9}")
    from explorer.comparison import comparison_rows, rank_by_avg_gap

    ranked = [r for r in rank_by_avg_gap(comparison_rows(report["models"])) if r["avg_gap"] is not None]
    if len(ranked) > 1:
        lines.append("closest to retrain (Avg. Gap): " + ", ".join(f"{r['method']} {r['avg_gap']:.3f}" for r in ranked))
    stopped = [f"{n}: {e['stopped']}" for n, e in report["models"].items() if e.get("stopped")]
    verdicts = [e["verdict"]["sentence"] for e in report["models"].values() if e.get("verdict")]
    refused = [f"{name} did not run: {why}" for name, why in report.get("refused", {}).items()]
    return "\n".join(lines + stopped + verdicts + refused)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def cmd_methods(_args) -> int:
    from explorer.unlearning import METHODS

    for name, spec in METHODS.items():
        print(f"{name}: {spec.summary} [uses {spec.access.describe()}; "
              f"{'zero-shot' if spec.access.zero_shot else 'not zero-shot'}]")
        for preset, entry in spec.presets.items():
            print(f"    preset {preset}: {entry.source}")
    return 0


def _names(text: str, what: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    if not names:
        raise UsageError(f"{what} lists nothing")
    return names


def _checked_out(path: str) -> Path:
    """The output path, checked before any work by opening it for writing (root passes permission checks
    that the file system still refuses, e.g. under /proc)."""
    out = Path(path)
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not folder.is_dir():
        raise UsageError(f"cannot write {path!r}: {'it is a folder' if out.is_dir() else 'no such folder'}")
    existed = out.exists()
    try:
        with open(out, "a"):
            pass
        if not existed:
            out.unlink()
    except OSError as err:
        raise UsageError(f"cannot write {path!r}: {err.strerror or err}") from None
    return out


def progress_bar(label: str, stream=None):
    """A one-line text progress bar on stderr: (done, total) -> None."""
    import time

    stream = stream or sys.stderr
    start = time.perf_counter()

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        elapsed = time.perf_counter() - start
        stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {elapsed:.0f} s")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def cmd_calibrate(args) -> int:
    from explorer.calibration import StudyGrid, markdown, run_study

    seeds = _ints(args.seeds, "--seeds")
    if len(seeds) == 1 and "," not in args.seeds:
        if not 1 <= seeds[0] <= 100:
            raise UsageError(f"--seeds N must be between 1 and 100, got {seeds[0]}")
        seeds = tuple(range(seeds[0]))
    grid = StudyGrid(sigmas=_floats(args.sigmas, "--sigmas"), etas=_floats(args.etas, "--etas"),
                     passes=_ints(args.passes, "--passes"), max_step_changes=_floats(args.step_guards, "--step-guards"),
                     weight_decays=_floats(args.weight_decays, "--weight-decays"),
                     datasets=_names(args.datasets, "--datasets"), seeds=seeds, kinds=_names(args.kinds, "--kinds"))
    if args.at_defaults:
        from explorer.unlearning.jit import JiTConfig

        d = JiTConfig()
        grid = replace(grid, sigmas=(d.sigma,), etas=(d.eta,), passes=(d.passes,), max_step_changes=(d.max_step_change,))
    try:
        grid.validate()
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    out = _checked_out(args.out)
    _checked_runner(args)
    print(f"calibration: {grid.n_runs} JiT runs", file=sys.stderr)
    result = run_study(grid, backend=args.backend, workers=args.workers, progress=progress_bar("jobs"),
                       address=args.address)
    print(markdown(result.cells))  # first: a failed write must not lose the study's tables
    try:
        out.write_text(json.dumps(result.to_dict(), indent=1))
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    print(f"\n{len(result.rows)} runs in {result.seconds:.0f} s on {result.workers} worker(s); "
          f"every run in {args.out}", file=sys.stderr)
    return 0


def _runner_flags(parser) -> None:
    from explorer.runner import BACKENDS

    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="where the jobs run: auto (a process pool unless running in-process is faster, as "
                             "measured), serial, processes, or ray (pip install '.[cluster]')")
    parser.add_argument("--address", help="with --backend ray: the cluster (auto, HOST:PORT or ray://HOST:PORT); "
                                          "default: a local Ray with --workers CPUs")


def _checked_runner(args) -> None:
    """The backend is usable (Ray installed, the address answering) before any work; one line if not."""
    from explorer.runner import RunnerError, ray_session

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.address is not None and args.backend != "ray":
        raise UsageError("--address is for the Ray backend; add --backend ray")
    if args.backend == "ray":
        try:
            ray_session(args.address, args.workers)
        except RunnerError as err:
            raise ScenarioError(str(err)) from None


def cmd_atlas(args) -> int:
    from explorer.atlas import check, compute_atlas, summary as atlas_summary

    args.threads = None
    scenario = scenario_from_args(args)
    method = args.method or scenario.method
    check(scenario, method)
    out = _checked_out(args.out) if args.out else None
    _checked_runner(args)
    atlas = compute_atlas(scenario, progress=_stage_bar(), method=method, backend=args.backend,
                          workers=args.workers, address=args.address)
    text = json.dumps(atlas.to_dict(), indent=1)
    if out is None:
        print(text)
        return 0
    try:
        out.write_text(text)
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    print(atlas_summary(atlas))
    return 0


def _stage_bar():
    """(stage label, fraction) progress as a text bar on stderr."""
    bars: dict = {}

    def show(label: str, fraction: float) -> None:
        bar = bars.setdefault(label, progress_bar(label[:40]))
        bar(int(round(1000 * fraction)), 1000)

    return show


def cmd_bench(args) -> int:
    if args.load is not None:
        return cmd_bench_load(args)
    from explorer import bench
    from explorer.device import pick_device

    if args.repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {args.repeats}")
    try:
        pick_device(args.device)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    _checked_out(args.out)
    result = bench.run_all(repeats=args.repeats, device=args.device)
    try:
        Path(args.out).write_text(json.dumps(result, indent=2))
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    print(bench.format_table(result))
    return 0


MAX_LOAD_SESSIONS = 100


def cmd_bench_load(args) -> int:
    """``bench --load N[,N...]``: each N against a fresh server; the README's table on stdout, JSON in --out."""
    counts = _ints(args.load, "--load")
    if not counts or not all(1 <= n <= MAX_LOAD_SESSIONS for n in counts):
        raise UsageError(f"--load takes session counts between 1 and {MAX_LOAD_SESSIONS}, got {args.load!r}")
    if not (math.isfinite(args.load_timeout) and 1 <= args.load_timeout <= 3600):
        raise UsageError(f"--load-timeout must be between 1 and 3600 seconds, got {args.load_timeout}")
    out = _checked_out(args.out)
    from explorer.bench.load import format_table, run_load

    try:
        result = run_load(counts, timeout_s=args.load_timeout, progress=lambda m: print(m, file=sys.stderr))
    except RuntimeError as err:  # no Chromium, no playwright, a server that never started
        raise ScenarioError(one_line_text(err)) from None
    print(format_table(result))
    try:
        out.write_text(json.dumps(result, indent=2))
    except OSError as err:
        raise ScenarioError(f"cannot write {args.out!r}: {err}") from None
    return 0


def one_line_text(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# Options whose value may start with '-' (negative coordinates): argparse would take "-0.5,-0.5"
# for an option, so the value is glued on as --forget-point=-0.5,-0.5 before parsing.
NEGATIVE_VALUE_OPTIONS = ("--forget-point", "--forget-ids")


def _glue_negative_values(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        if argv[i] in NEGATIVE_VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_glue_negative_values(list(sys.argv[1:] if argv is None else argv)))
        if args.command is None:
            parser.print_help()
            return 2
        commands = {"run": cmd_run, "methods": cmd_methods, "bench": cmd_bench, "calibrate": cmd_calibrate,
                    "atlas": cmd_atlas}
        return commands[args.command](args)
    except (UsageError, ScenarioError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 — the CLI promises no traceback, whatever happens
        print(f"error: unexpected {type(err).__name__}: {err}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
