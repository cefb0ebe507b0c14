"""What every command shares: one-line errors, list and file parsing, output paths and progress bars. Light
(no torch, no scikit-learn): the parse layer imports it. Bad input raises :class:`UsageError` or
ScenarioError; :func:`explorer.cli.main` prints one line."""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from explorer.config.limits import MAX_FILE_BYTES
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


MAX_SCENARIO_BYTES = MAX_FILE_BYTES


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


def one_line_text(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
