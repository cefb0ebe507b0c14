"""``python -m explorer run`` once its command line has parsed: the scenario from the flags (a scenario file,
``--set``, the forget set), checked, then the run and its JSON report."""
from __future__ import annotations

import argparse
import json
import typing
from dataclasses import fields, replace

from explorer import pipeline
from explorer.cli import flags
from explorer.cli.common import UsageError, checked_out, floats, ints, quoted, read_scenario_file, write_out
from explorer.commands.common import checked_threads
from explorer.config.echo import clip
from explorer.config.errors import ScenarioError
from explorer.config.limits import MAX_SAMPLES
from explorer.config import declare
from explorer.config.scenario import ForgetSpec, Scenario
from explorer.config.selection import expand, parse_id_ranges
from explorer.config.urlstate import parse_value
from explorer.engine.device import torch_threads
from explorer.measures.comparison import comparison_rows, rank_by_avg_gap
from explorer.measures.metrics import metric_names
from explorer.scenarios import default_scenario
from toy_data.files import FILE, register_path


def _id_list(text: str, what: str) -> tuple[int, ...]:
    """Ids and ranges (3,17,40-45), parsed by the URL's parser: never expanded past the largest training set."""
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


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    if args.data_file and args.dataset:
        raise UsageError("give --dataset or --data-file, not both")
    if args.scenario:
        raw = read_scenario_file(args.scenario)
        base = Scenario.from_dict(raw.get("scenario", raw) if isinstance(raw, dict) else raw)
        if args.dataset and args.dataset != base.dataset.name:
            base = replace(base, dataset=replace(base.dataset, name=args.dataset, file=None))
        if args.data_file:
            base = with_data_file(base, args.data_file)
    elif args.data_file:
        base = with_data_file(None, args.data_file, args.seed)
    else:
        try:
            base = default_scenario(args.dataset or "moons", seed=args.seed)
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    seed = {} if args.seed is None else {"seed": args.seed}  # --seed seeds the data and the training too
    dataset = replace(base.dataset, **{**seed, **flags.given(args, flags.section("dataset."))})
    model = replace(base.model, **flags.given(args, flags.section("model.")))
    train = replace(base.train, **{**seed, **flags.given(args, flags.section("train."))})
    forget = _forget_from_args(args) or base.forget
    method = args.method or base.method
    configs = {k: dict(v) for k, v in base.configs.items()}
    jit_values = flags.given(args, flags.JIT_FLAGS)
    if jit_values:
        configs["jit"] = {**configs.get("jit", {}), **jit_values}
    presets = dict(base.presets)
    if args.preset:
        presets[method] = args.preset
    compare = tuple(m.strip() for m in args.compare.split(",") if m.strip()) if args.compare else base.compare
    scenario = replace(base, dataset=dataset, model=model, train=train, forget=forget, method=method,
                       compare=compare, configs=configs, presets=presets,
                       **{k: v for k, v in flags.given(args, flags.section("")).items() if k != "method"})
    return apply_sets(scenario, args.set or ())


def with_data_file(base: Scenario | None, path: str, seed: int | None = None) -> Scenario:
    """The scenario on the data file at ``path`` (read and checked now, one line on any problem). A scenario made
    on a data file must name this very file: its content hash must match."""
    try:
        datafile, _ = register_path(path)
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    if base is None:
        return default_scenario(FILE, file=datafile, seed=seed)
    named = base.dataset.file
    if named is not None and named.sha256 != datafile.sha256:
        raise ScenarioError(f"data file {path!r} has sha256 {datafile.short}…, but the scenario was made with "
                            f"{named.name or 'a data file'} of sha256 {named.short}…: it is not the same data")
    edits = base.dataset.edits if named is not None else type(base.dataset.edits)()  # edits of other data: dropped
    return replace(base, dataset=replace(base.dataset, name=FILE, file=datafile, edits=edits))


def apply_sets(scenario: Scenario, items) -> Scenario:
    """``METHOD.FIELD=VALUE`` overrides, each checked against the method's config (its fields, their types,
    its validation) before any work starts; ``PATH=VALUE`` of a scenario setting (``train.epochs=50``,
    ``dataset.samples=200``, ``grid_resolution=50``) sets that setting, checked as its config is built."""
    for item in items:
        key, eq, text = item.partition("=")
        if eq and _scenario_setting(key.strip()):
            scenario = _set_setting(scenario, key.strip(), text)
            continue
        name, dot, field = key.strip().partition(".")
        key = clip(key.strip(), 60)
        if not (eq and dot and name and field):
            raise UsageError(f"--set takes METHOD.FIELD=VALUE, got {quoted(item)}")
        if name == "retrain":
            raise ScenarioError(f"--set {key}: the retrained reference uses the training recipe; "
                                "set it with --set train.FIELD=VALUE (or --epochs, --lr, --weight-decay, --batch-size)")
        if name in ("dataset", "model", "train"):
            settings = [f for f, lim in declare.declared(declare.SECTIONS[name], name).items() if lim is not None]
            raise ScenarioError(f"--set {key}: {name} has no setting {quoted(field)}; it has {', '.join(settings)}")
        if name not in scenario.methods:
            raise ScenarioError(f"--set {key}: {name} is not run; add --method {name} or --compare {name}")
        current = pipeline.method_config(scenario, name)
        known = [f.name for f in fields(current)]
        if field not in known:
            raise ScenarioError(f"--set {key}: {name} has no setting {quoted(field)}; it has {', '.join(known)}")
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
        pipeline.method_config(scenario, name)  # the config's own validation, one line
    return scenario


def _scenario_setting(path: str) -> bool:
    """Whether ``path`` names a declared setting of the data, model, training or the scenario itself."""
    head = path.rpartition(".")[0]
    return head in ("dataset", "model", "train", "") and declare.limit(path) is not None


def _set_setting(scenario: Scenario, path: str, text: str) -> Scenario:
    """``scenario`` with the setting at ``path`` read from ``text`` as its field's type; the one checker's line
    (a SettingError) when the value lies outside the declaration."""
    head, _, field = path.rpartition(".")
    part = getattr(scenario, head) if head else scenario
    like = getattr(part, field)
    try:
        value = parse_value(text, like)
    except (ValueError, OverflowError):
        value = text  # the one checker names the type it wanted, as for the setting's flag
    declare.check(path, value)
    changed = replace(part, **{field: value})  # built, so checked
    return replace(scenario, **{head: changed}) if head else changed


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
        options["point"] = floats(args.forget_point, "--forget-point")
    if args.forget_named is not None:
        options["named"] = args.forget_named
    if args.forget_subclass is not None:
        parts = ints(args.forget_subclass.replace(":", ","), "--forget-subclass")
        if len(parts) != 2:
            raise UsageError(f"--forget-subclass takes CLASS:CLUSTER, got {quoted(args.forget_subclass)}")
        options["subclass"] = parts
    if len(options) > 1:
        raise ScenarioError(f"conflicting forget options ({', '.join('--forget-' + k for k in _flag_names(options))}); "
                            "give exactly one")
    return ForgetSpec(**options) if options else None


def _flag_names(options: dict) -> list[str]:
    names = {"ids": "ids", "forget_class": "class", "random_fraction": "random", "point": "point",
             "named": "named", "subclass": "subclass"}
    return [names[k] for k in options]


def command(args) -> int:
    scenario = scenario_from_args(args)
    checked_threads(args.threads)
    if args.out:
        checked_out(args.out)  # before the run, not after it
    with torch_threads(args.threads):
        outcome = pipeline.run(scenario)
    report = outcome.report()
    text = json.dumps(report, indent=2)
    if args.out:
        write_out(args.out, text)
        print(summary(report))
    else:
        print(text)
    return 0


def summary(report: dict) -> str:
    """A short table of the headline metrics per model (the metric registry's "summary" choice)."""
    keys = metric_names("summary")
    lines = [f"{'model':<14}" + "".join(f"{k:>24}" for k in keys) + f"{'avg_gap':>9}{'seconds':>9}"]
    for name, entry in report["models"].items():
        cells = "".join(f"{_fmt(entry['metrics'].get(k)):>24}" for k in keys)
        lines.append(f"{name:<14}{cells}{_fmt(entry.get('avg_gap')):>9}{_fmt(entry.get('seconds')):>9}")
    ranked = [r for r in rank_by_avg_gap(comparison_rows(report["models"])) if r["avg_gap"] is not None]
    if len(ranked) > 1:
        lines.append("closest to retrain (Avg. Gap): " + ", ".join(f"{r['label']} {r['avg_gap']:.3f}" for r in ranked))
    lines += seeds_summary(report)
    stopped = [f"{n}: {e['stopped']}" for n, e in report["models"].items() if e.get("stopped")]
    verdicts = [e["verdict"]["sentence"] for e in report["models"].values() if e.get("verdict")]
    refused = [f"{name} did not run: {why}" for name, why in report.get("refused", {}).items()]
    return "\n".join(lines + stopped + verdicts + refused)


def seeds_summary(report: dict) -> list[str]:
    """Over several seeds: the noise floor, and each model's per-point scores beside their floor."""
    if "seeds" not in report:
        return []
    floor = report["noise_floor"]
    agreement = floor["retrain_agreement"]

    def scores(entry: dict) -> str:
        klom = "/".join(_fmt(entry["klom"][part]["p95"]) for part in ("forget", "retain", "test"))
        return f"ε {_fmt(entry['epsilon']['mean'])}, KLoM {klom}"

    parts = [f"floor {scores(floor)} (half the seeds per side)"] if "epsilon" in floor else []
    parts += [f"{name} {scores(entry)}" for name, entry in report["models"].items() if "epsilon" in entry]
    return [f"{report['seeds']['count']} training seeds (means above; each seed's values and 95 % intervals in the "
            f"JSON); noise floor: retrained models agree on {agreement['mean']:.3f} of the evaluation points "
            f"({agreement['min']:.3f}-{agreement['max']:.3f} over {agreement['pairs']} pairs)",
            "per-point scores against the retrained models (ε on the forget points; KLoM p95 forget/retain/test): "
            + "; ".join(parts)]


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
