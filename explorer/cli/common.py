"""What every command shares: one-line errors, list and file parsing, output paths, progress bars and the
runner's flags. Bad input raises :class:`UsageError` or ScenarioError; :func:`explorer.cli.main` prints one line."""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from explorer.config.scenario import ScenarioError


class UsageError(Exception):
    """Raised instead of argparse's multi-line usage dump."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise UsageError(message)


def floats(text: str, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{what} must be comma-separated numbers, got {quoted(text)}") from None
    if not all(math.isfinite(v) for v in values):
        raise UsageError(f"{what} must be finite numbers, got {quoted(text)}")
    return values


def quoted(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def ints(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {text!r}") from None


def names(text: str, what: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    if not names:
        raise UsageError(f"{what} lists nothing")
    return names


def switch(parser, name: str, help_text: str) -> None:
    parser.add_argument(f"--{name}", dest=name.replace("-", "_"), action=argparse.BooleanOptionalAction,
                        default=None, help=help_text)


def join(values) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


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


def checked_out(path: str) -> Path:
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


def stage_bar():
    """(stage label, fraction) progress as a text bar on stderr."""
    bars: dict = {}

    def show(label: str, fraction: float) -> None:
        bar = bars.setdefault(label, progress_bar(label[:40]))
        bar(int(round(1000 * fraction)), 1000)

    return show


def runner_flags(parser) -> None:
    from explorer.studies.runner import BACKENDS  # the runner imports torch: only when a command is built

    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="where the jobs run: auto (a process pool unless running in-process is faster, as "
                             "measured), serial, processes, or ray (pip install '.[cluster]')")
    parser.add_argument("--address", help="with --backend ray: the cluster (auto, HOST:PORT or ray://HOST:PORT); "
                                          "default: a local Ray with --workers CPUs")


def checked_runner(args) -> None:
    """The backend is usable (Ray installed, the address answering) before any work; one line if not."""
    from explorer.studies.runner import RunnerError, ray_session

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.address is not None and args.backend != "ray":
        raise UsageError("--address is for the Ray backend; add --backend ray")
    if args.backend == "ray":
        try:
            ray_session(args.address, args.workers)
        except RunnerError as err:
            raise ScenarioError(str(err)) from None


def one_line_text(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def emit(text: str, out: Path | None, path: str | None, summary) -> int:
    """A command's JSON ``text`` on stdout, or written to ``out`` (the checked ``--out`` ``path``) with the short
    ``summary()`` on stdout instead."""
    if out is None:
        print(text)
        return 0
    try:
        out.write_text(text)
    except OSError as err:
        raise ScenarioError(f"cannot write {path!r}: {err}") from None
    print(summary())
    return 0
