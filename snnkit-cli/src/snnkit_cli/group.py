"""The ``snnkit`` group without its commands, light to import (no torch): the full command line
(:mod:`snnkit_cli.main`) adds the commands, :mod:`snnkit_cli.entry` adds stand-ins from the catalog."""

from __future__ import annotations

from typing import Any

import click

import snnkit
from snnkit.errors import SnnkitError

USAGE_ERROR = 2
INTERRUPTED = 130


class SnnkitGroup(click.Group):
    """Turns snnkit's own errors into a one-line message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SnnkitError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(USAGE_ERROR)
        except KeyboardInterrupt:  # a run catches its own; this is Ctrl-C while it starts
            click.echo("\ninterrupted before the run started: nothing was recorded", err=True)
            ctx.exit(INTERRUPTED)


def new_group() -> SnnkitGroup:
    """The ``snnkit`` group, with its help text and ``--version``, and no commands yet."""

    @click.group(cls=SnnkitGroup)
    @click.version_option(snnkit.__version__, prog_name="snnkit")
    def cli() -> None:
        """snnkit: spiking neural networks on PyTorch, extended through plugins."""

    assert isinstance(cli, SnnkitGroup)
    return cli
