"""Every command's flags: the parse layer of ``python -m explorer``. It imports only the settings' declarations
(no torch, no scikit-learn), so ``--help`` and a refused value answer at once; the command's own module
(explorer/cli/<command>.py), which loads the engine, is imported only after the command line parsed and
its values passed their declarations."""
from __future__ import annotations

import argparse

from explorer.cli import flags
from explorer.cli.common import Parser
from explorer.config.shared import BACKENDS

SCENARIO_GROUPS = (("data", "dataset."), ("model", "model."), ("training (the original and the retrain reference)",
                                                                "train."))
RUN_ONLY = ("help", "out", "threads")  # run's flags that the atlas does not take (nor the forget-set flags)
SEED_EXTRA = {"seed": "; also the data and training seeds unless --data-seed or --train-seed is given"}


def run_parser(sub) -> argparse.ArgumentParser:
    run = sub.add_parser("run", help="train, forget, retrain, unlearn and write a JSON report")
    run.add_argument("--scenario", help="start from a scenario JSON (the app's download or a report); flags override it")
    for title, head in SCENARIO_GROUPS:
        flags.add(run.add_argument_group(title), [f for f in flags.SCENARIO_FLAGS if f.path.startswith(head)])
    forget = run.add_argument_group("forget set (exactly one)")
    forget.add_argument("--forget-ids", help="training ids and ranges, e.g. 3,17,40-45")
    forget.add_argument("--forget-class", type=int, help="every training point of this class")
    forget.add_argument("--forget-random", type=float, help="this fraction of the training set, at random")
    forget.add_argument("--forget-point", help="the training point nearest to X,Y")
    forget.add_argument("--forget-named", help="a named point of the dataset (two_blobs: high_information_target, "
                                               "low_information_target)")
    forget.add_argument("--forget-subclass", help="CLASS:CLUSTER, a k-means cluster (0 = largest) inside a class")
    method = run.add_argument_group("unlearning")
    flags.add(method, [f for f in flags.SCENARIO_FLAGS if f.path == "method"])
    method.add_argument("--compare", help="more methods to run on the same forget set, comma-separated")
    method.add_argument("--preset", help="a preset of --method (see `python -m explorer methods`)")
    method.add_argument("--set", action="append", metavar="METHOD.FIELD=VALUE",
                        help="any setting of any method run, e.g. --set scrub.alpha=0.5 (repeatable; "
                             "a tuple is comma-separated; `python -m explorer methods` lists each method's settings)")
    flags.add(method, flags.JIT_FLAGS, lead="JiT: ")
    scenario = run.add_argument_group("the run")
    flags.add(scenario, [f for f in flags.SCENARIO_FLAGS if "." not in f.path and f.path != "method"], extra=SEED_EXTRA)
    scenario.add_argument("--threads", type=int, help="torch CPU threads (default: torch's; 1 is fastest for the 2D toys)")
    scenario.add_argument("--out", help="write the JSON report here (default: stdout)")
    return run


def runner_flags(parser, workers_help: str) -> None:
    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="where the jobs run: auto (a process pool unless running in-process is faster, as "
                             "measured), serial, processes, or ray (pip install '.[cluster]')")
    parser.add_argument("--address", help="with --backend ray: the cluster (auto, HOST:PORT or ray://HOST:PORT); "
                                          "default: a local Ray with --workers CPUs")
    parser.add_argument("--workers", type=int, help=workers_help)


def atlas_parser(sub, run) -> argparse.ArgumentParser:
    atlas = sub.add_parser("atlas", help="the atlas of a 2D scenario: every training point's leave-one-out influence, "
                                         "the method's influence, α(x) and the local Lipschitz estimate")
    for action in run._actions:  # every scenario flag of `run` applies (the forget-set flags are not used)
        if action.dest not in RUN_ONLY and not action.dest.startswith("forget_"):
            atlas._add_action(action)
    atlas.set_defaults(**{a.dest: None for a in run._actions if a.dest.startswith("forget_")}, threads=None)
    runner_flags(atlas, "processes or Ray tasks at once (default: the usable cores)")
    atlas.add_argument("--out", help="write the atlas JSON here (default: stdout)")
    return atlas


def calibrate_parser(sub) -> argparse.ArgumentParser:
    cal = sub.add_parser("calibrate", help="the calibration study behind JiT's 2D defaults: JiT over a grid of "
                                           "settings × datasets × seeds × forget kinds, measured against retraining")
    study = "(default: the study's own grid, explorer/studies/calibration.py)"
    cal.add_argument("--sigmas", help=f"JiT σ values (comma-separated) {study}")
    cal.add_argument("--etas", help=f"JiT η values {study}")
    cal.add_argument("--passes", help=f"JiT passes values {study}")
    cal.add_argument("--step-guards", help=f"JiT max step change values (0 = the guard off) {study}")
    cal.add_argument("--weight-decays", help=f"weight decays of the original's training recipe {study}")
    cal.add_argument("--datasets", help=f"2D toy datasets {study}")
    cal.add_argument("--seeds", help=f"a count N (seeds 0..N-1) or a list A,B,... {study}")
    cal.add_argument("--kinds", help=f"forget kinds {study}")
    cal.add_argument("--at-defaults", action="store_true",
                     help="run JiT's current default setting only (σ, η, passes, step guard); other axes as given")
    runner_flags(cal, "worker processes (default: the usable cores)")
    cal.add_argument("--out", default="calibration.json", help="the study's JSON (every run and every cell)")
    return cal


def bench_parser(sub) -> argparse.ArgumentParser:
    bench = sub.add_parser("bench", help="measure the JiT engine (and the app's latency) and write JSON")
    bench.add_argument("--out", default="bench.json")
    bench.add_argument("--repeats", type=int, default=7, help="timed repetitions per measurement (median)")
    bench.add_argument("--device", default="auto")
    bench.add_argument("--load", metavar="N[,N...]",
                       help="instead: the classroom load benchmark, N concurrent browser sessions against a real "
                            "`streamlit run` server (e.g. --load 1,10,30); needs /usr/bin/chromium and playwright")
    bench.add_argument("--load-timeout", type=float, default=600.0, help="seconds one load session may take")
    return bench


def build_parser(description: str) -> Parser:
    parser = Parser(prog="python -m explorer", description=description)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    run = run_parser(sub)
    sub.add_parser("methods", help="list the registered unlearning methods and their presets")
    calibrate_parser(sub)
    atlas_parser(sub, run)
    bench_parser(sub)
    return parser
