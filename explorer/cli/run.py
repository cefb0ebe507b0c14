"""``python -m explorer run``: train, forget, retrain, unlearn and write a JSON report; the scenario that
``atlas`` shares, built from the flags (explorer/cli/parsers.py) over the defaults or a scenario file."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace
from pathlib import Path

from explorer import pipeline
from explorer.cli import flags
from explorer.cli.common import UsageError, checked_out, floats, ints, read_scenario_file
from explorer.config.fields import SettingError, settings_of
from explorer.config.scenario import ForgetSpec, Scenario, ScenarioError, default_scenario
from explorer.config.selection import expand, parse_id_ranges
from explorer.config.shared import MAX_SAMPLES
from explorer.engine.device import torch_threads
from explorer.measures.comparison import comparison_rows, rank_by_avg_gap
from explorer.measures.metrics import metric_names
from explorer.unlearning import get_method

SEEDS = ("dataset.seed", "train.seed")  # what --seed also sets, unless its own flag is given


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
    values = flags.given(args, flags.SCENARIO_FLAGS)
    if "seed" in values:
        values = {**{path: values["seed"] for path in SEEDS}, **values}
    name = values.pop("dataset.name", None)
    if args.scenario:
        raw = read_scenario_file(args.scenario)
        base = Scenario.from_dict(raw.get("scenario", raw) if isinstance(raw, dict) else raw)
        if name and name != base.dataset.name:
            base = replace(base, dataset=replace(base.dataset, name=name))
    else:
        try:
            base = default_scenario(name or "moons", seed=values.get("dataset.seed"))
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    sections = {head: {path.split(".", 1)[1]: v for path, v in values.items() if path.startswith(head + ".")}
                for head in ("dataset", "model", "train")}
    scenario = replace(base, **{head: replace(getattr(base, head), **given) for head, given in sections.items()},
                       **{path: v for path, v in values.items() if "." not in path})
    configs = {k: dict(v) for k, v in scenario.configs.items()}
    jit_values = {path.split(".", 1)[1]: v for path, v in flags.given(args, flags.JIT_FLAGS).items()}
    if jit_values:
        configs["jit"] = {**configs.get("jit", {}), **jit_values}
    presets = dict(scenario.presets)
    if args.preset:
        presets[scenario.method] = args.preset
    compare = tuple(m.strip() for m in args.compare.split(",") if m.strip()) if args.compare else scenario.compare
    scenario = replace(scenario, forget=_forget_from_args(args) or scenario.forget, compare=compare,
                       configs=configs, presets=presets)
    return apply_sets(scenario, args.set or ())


def apply_sets(scenario: Scenario, items) -> Scenario:
    """``METHOD.FIELD=VALUE`` overrides, each read by the setting's declaration and checked as the method's config
    is built, before any work starts."""
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
        current = pipeline.method_config(scenario, name)
        known = [f.name for f in fields(current)]
        if field not in known:
            raise ScenarioError(f"--set {key}: {name} has no setting {field!r}; it has {', '.join(known)}")
        try:
            value = settings_of(get_method(name).config_cls)[field].parse(text, f"{name}.{field}")
        except SettingError as err:
            raise ScenarioError(f"--set {key}: {err}") from None
        configs = {k: dict(v) for k, v in scenario.configs.items()}
        configs.setdefault(name, {})[field] = value
        scenario = replace(scenario, configs=configs)
        pipeline.method_config(scenario, name)  # the config is built, so checked, here: one line
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
        options["point"] = floats(args.forget_point, "--forget-point")
    if args.forget_named is not None:
        options["named"] = args.forget_named
    if args.forget_subclass is not None:
        parts = ints(args.forget_subclass.replace(":", ","), "--forget-subclass")
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


def command(args) -> int:
    scenario = scenario_from_args(args)
    if args.threads is not None and args.threads < 1:
        raise ScenarioError(f"--threads must be >= 1, got {args.threads}")
    if args.out:
        checked_out(args.out)  # before the run, not after it
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
    keys = metric_names("summary")
    lines = [f"{'model':<14}" + "".join(f"{k:>24}" for k in keys) + f"{'avg_gap':>9}{'seconds':>9}"]
    for name, entry in report["models"].items():
        cells = "".join(f"{_fmt(entry['metrics'].get(k)):>24}" for k in keys)
        lines.append(f"{name:<14}{cells}{_fmt(entry.get('avg_gap')):>9}{_fmt(entry.get('seconds')):>9}")
    ranked = [r for r in rank_by_avg_gap(comparison_rows(report["models"])) if r["avg_gap"] is not None]
    if len(ranked) > 1:
        lines.append("closest to retrain (Avg. Gap): " + ", ".join(f"{r['method']} {r['avg_gap']:.3f}" for r in ranked))
    stopped = [f"{n}: {e['stopped']}" for n, e in report["models"].items() if e.get("stopped")]
    verdicts = [e["verdict"]["sentence"] for e in report["models"].values() if e.get("verdict")]
    refused = [f"{name} did not run: {why}" for name, why in report.get("refused", {}).items()]
    return "\n".join(lines + stopped + verdicts + refused)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
