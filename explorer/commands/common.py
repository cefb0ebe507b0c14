"""What the commands share once their command lines have parsed: the runner's backend and the thread count,
checked against this machine (the runner loads torch) before any work."""
from __future__ import annotations

from explorer.cli.common import UsageError
from explorer.config.echo import number
from explorer.config.errors import ScenarioError
from explorer.studies.runner import RunnerError, default_workers, ray_session


def checked_runner(args) -> None:
    """The backend is usable (Ray installed, the address answering) before any work; one line if not."""
    if args.address is not None and args.backend != "ray":
        raise UsageError("--address is for the Ray backend; add --backend ray")
    # Processes (and a local Ray) on this machine: at most its cores; a cluster's Ray tasks: a cluster's worth.
    most, where = (MAX_CLUSTER_WORKERS, "Ray tasks on a cluster") if args.address else (default_workers(), "cores here")
    if args.workers is not None and not 1 <= args.workers <= most:
        raise UsageError(f"--workers must be between 1 and {most:,} ({where}), got {number(args.workers)}")
    if args.backend == "ray":
        try:
            ray_session(args.address, args.workers)
        except RunnerError as err:
            raise ScenarioError(str(err)) from None


MAX_CLUSTER_WORKERS = 4096


def checked_threads(threads: int | None) -> None:
    """``--threads``: at most the cores this process may use (more only contend: 256 threads on 2 cores ran
    eight times slower than one)."""
    if threads is not None and not 1 <= threads <= default_workers():
        raise UsageError(f"--threads must be between 1 and {default_workers()} (the cores here), got {number(threads)}")
