"""What every command shares: one-line errors, list and file parsing, output paths, progress bars and the
runner's flags. Bad input raises :class:`UsageError` or ScenarioError; :func:`explorer.cli.main` prints one line."""
from __future__ import annotations

import argparse
import json
import math
import os
import stat
import sys
import time
from pathlib import Path

from explorer.config import limits
from explorer.config.echo import for_terminal, shown
from explorer.config.errors import BACKENDS, ScenarioError


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
    return shown(text)


def ints(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {quoted(text)}") from None


def names(text: str, what: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    if not names:
        raise UsageError(f"{what} lists nothing")
    return names


def join(values) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


MAX_SCENARIO_BYTES = limits.MAX_FILE_BYTES  # declared with the other sizes of files and links


def read_scenario_file(path: str) -> dict:
    """A scenario file's JSON: a regular file only (a FIFO would block, a device never end), read at most
    :data:`MAX_SCENARIO_BYTES`, a UTF-8 byte-order mark skipped (spreadsheets and editors write one), parsed
    without blowing the stack and with duplicate keys refused (JSON lets the last one win, silently);
    ScenarioError in one line otherwise."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ScenarioError(f"cannot read scenario {quoted(path)}: not a regular file (a FIFO, device or folder)")
        with open(path, "rb") as f:
            data = f.read(MAX_SCENARIO_BYTES + 1)
    except OSError as err:
        raise ScenarioError(f"cannot read scenario {quoted(path)}: {err.strerror or err}") from None
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"scenario {quoted(path)} is larger than {MAX_SCENARIO_BYTES // 2**20} MB; a scenario is a few KB")
    try:
        return json.loads(data.decode("utf-8-sig"), object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ScenarioError(f"cannot read scenario {quoted(path)}: nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise ScenarioError(f"cannot read scenario {quoted(path)}: {for_terminal(err)}") from None


def _no_duplicates(pairs: list) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {shown(key)} appears twice in one object")
        seen[key] = value
    return seen


def checked_out(path: str) -> Path:
    """The output path, checked before any work by writing to it: a new file is created and removed (a
    dangling symbolic link is refused, never followed to leave an empty file behind), an existing file gets a
    byte appended and taken off again, a character device takes a byte (/dev/null does, /dev/full refuses), and
    anything else (a FIFO would block, a folder, a socket) is refused. Root passes permission checks that the
    file system still refuses (under /proc), and a full disk only shows on writing: so a write it is."""
    out = Path(path)
    try:
        try:
            mode = os.stat(out).st_mode
        except FileNotFoundError:
            mode = None
        if mode is None:
            if out.is_symlink():
                raise UsageError(f"cannot write {quoted(path)}: it is a symbolic link to a missing file")
            if not (out.parent if str(out.parent) else Path(".")).is_dir():
                raise UsageError(f"cannot write {quoted(path)}: no such folder")
            _probe_new(out)
        elif stat.S_ISREG(mode):
            _probe_existing(out)
        elif stat.S_ISCHR(mode):
            fd = os.open(out, os.O_WRONLY | os.O_NONBLOCK)
            try:
                os.write(fd, b"\n")
            finally:
                os.close(fd)
        else:
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO, socket or block device)"
            raise UsageError(f"cannot write {quoted(path)}: it is {kind}")
    except OSError as err:
        raise UsageError(f"cannot write {quoted(path)}: {err.strerror or err}") from None
    return out


def _probe_new(out: Path) -> None:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # O_EXCL: never through a symbolic link
    try:
        os.write(fd, b"{}\n")
        os.fsync(fd)
    finally:
        os.close(fd)
        out.unlink()


def _probe_existing(out: Path) -> None:
    size = out.stat().st_size
    fd = os.open(out, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"\n")
        os.fsync(fd)
    finally:
        os.ftruncate(fd, size)
        os.close(fd)


def write_out(path, text: str) -> None:
    """Write the command's result (the path was checked before the work by :func:`checked_out`)."""
    try:
        Path(path).write_text(text)
    except OSError as err:
        raise ScenarioError(f"cannot write {quoted(str(path))}: {err.strerror or err}") from None


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
    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="where the jobs run: auto (a process pool unless running in-process is faster, as "
                             "measured), serial, processes, or ray (pip install '.[cluster]')")
    parser.add_argument("--address", help="with --backend ray: the cluster (auto, HOST:PORT or ray://HOST:PORT); "
                                          "default: a local Ray with --workers CPUs")


def one_line_text(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def emit(text: str, out: Path | None, path: str | None, summary) -> int:
    """A command's JSON ``text`` on stdout, or written to ``out`` (the checked ``--out`` ``path``) with the short
    ``summary()`` on stdout instead."""
    if out is None:
        print(text)
        return 0
    write_out(out, text)
    print(summary())
    return 0
