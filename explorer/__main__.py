import sys

from explorer.config.datafile import check_argv  # numpy only: a bad --data-file fails before torch loads

problem = check_argv(sys.argv[1:])
if problem:
    print(f"error: {problem}", file=sys.stderr)
    raise SystemExit(2)

from explorer.cli import main  # noqa: E402

raise SystemExit(main())
