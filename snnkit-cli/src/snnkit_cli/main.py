"""The ``snnkit`` click group: built-in commands plus those plugins add through the commands hook."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

import snnkit
from snnkit.errors import SnnkitError
from snnkit.plugins import PluginLoadWarning, PluginManager, get_plugin_manager
from snnkit.registry import Provider
from snnkit_cli.commands.export import export_command
from snnkit_cli.commands.inspect import inspect_command
from snnkit_cli.commands.plot import plot_command
from snnkit_cli.commands.plugins import plugins_command
from snnkit_cli.commands.run import experiments_command, run_command

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


@click.group(cls=SnnkitGroup)
@click.version_option(snnkit.__version__, prog_name="snnkit")
def cli() -> None:
    """snnkit: spiking neural networks on PyTorch, extended through plugins."""


for command in (run_command, experiments_command, plugins_command, inspect_command, plot_command, export_command):
    cli.add_command(command)


def add_plugin_commands(manager: PluginManager, group: click.Group) -> None:
    """Let every plugin add its commands; a plugin whose hook raises is reported by `snnkit
    plugins` and the other commands still work. Each added command remembers its provider."""
    known = dict(group.commands)

    def mark(provider: Provider) -> None:
        for name, command in list(group.commands.items()):
            if name in known and known[name] is not command:  # never let a plugin replace a command
                group.commands[name] = known[name]
                owner = getattr(known[name], "snnkit_provider", "snnkit itself")
                manager.report_failure(
                    provider.plugin, f"its command {name!r} would replace the one of {owner}; rename it"
                )
            elif name not in known:
                command.snnkit_provider = str(provider)  # type: ignore[attr-defined]
                known[name] = command

    manager.call_each("snnkit_register_commands", after=mark, cli=group)


def _one_line(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Plugin problems as one line on stderr (``snnkit plugins`` lists them in full)."""
    click.echo(f"warning: {message}", err=True)


def main() -> None:
    """Console-script entry point: add plugins' commands, then run with the process-wide plugins."""
    warnings.showwarning = _one_line  # type: ignore[assignment]
    if "plugins" in sys.argv[1:2]:
        warnings.simplefilter("ignore", PluginLoadWarning)  # it lists the failures itself
    try:
        manager = get_plugin_manager()
        add_plugin_commands(manager, cli)
    except KeyboardInterrupt:
        click.echo("\ninterrupted while loading plugins: nothing was run", err=True)
        sys.exit(INTERRUPTED)
    cli(prog_name="snnkit", obj=manager)
