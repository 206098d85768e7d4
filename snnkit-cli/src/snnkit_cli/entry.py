"""The ``snnkit`` console script: exits quietly on Ctrl-C while the command line is still loading
(importing torch takes seconds), then hands over to :func:`snnkit_cli.main.main`."""

import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    sys.stderr.write("\ninterrupted while starting: nothing was run\n")
    raise SystemExit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    from snnkit_cli.main import main as run_cli

    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_cli()
