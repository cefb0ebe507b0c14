"""``python -m explorer run``'s command line: train, forget, retrain, unlearn and write a JSON report; the
scenario flags that ``atlas``, ``audit`` and ``sweep`` share. What it does once parsed:
:mod:`explorer.commands.run`."""
from __future__ import annotations

import argparse

from explorer.cli import flags

NAME = "run"


def add_parser(sub) -> argparse.ArgumentParser:
    run = sub.add_parser("run", help="train, forget, retrain, unlearn and write a JSON report")
    run.add_argument("--scenario", help="start from a scenario JSON (the app's download or a report); flags override it")
    data = run.add_argument_group("data")
    data.add_argument("--data-file", metavar="FILE",
                      help="your own data instead: a CSV of points (x1,x2,label or x,label, a header row optional) or "
                           "an .npz of small images (arrays x and y); checked before any work")
    flags.add(data, flags.section("dataset."))
    flags.add(run.add_argument_group("model"), flags.section("model."))
    flags.add(run.add_argument_group("training (the original and the retrain reference)"), flags.section("train."))
    forget = run.add_argument_group("forget set (exactly one)")
    forget.add_argument("--forget-ids", help="comma-separated training ids and ranges, e.g. 3,17,40-45")
    forget.add_argument("--forget-class", type=int, help="every training point of this class")
    forget.add_argument("--forget-random", type=float, help="this fraction of the training set, at random")
    forget.add_argument("--forget-point", help="the training point nearest to X,Y")
    forget.add_argument("--forget-named", help="a named point of the dataset (two_blobs: high_information_target, "
                                               "low_information_target)")
    forget.add_argument("--forget-subclass", help="CLASS:CLUSTER, a k-means cluster (0 = largest) inside a class")
    method = run.add_argument_group("unlearning")
    method.add_argument("--compare", help="more methods to run on the same forget set, comma-separated")
    method.add_argument("--preset", help="a preset of --method (see `python -m explorer methods`)")
    method.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="any setting of any method run, e.g. --set scrub.alpha=0.5, or of the data, model, "
                             "training or run, e.g. --set train.epochs=50 (sets that one field; --seed and --dataset "
                             "also set the seeds and defaults that follow them); repeatable; a tuple is "
                             "comma-separated; `python -m explorer methods` lists each method's settings")
    flags.add(method, flags.JIT_FLAGS, lead="JiT: ")
    flags.add(run.add_argument_group("the run"), flags.section(""))
    run.add_argument("--threads", type=int, help="torch CPU threads (default: torch's; 1 is fastest for the 2D toys)")
    run.add_argument("--out", help="write the JSON report here (default: stdout)")
    return run
