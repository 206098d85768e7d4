"""The ``snnkit`` click group: built-in commands plus those plugins add through the commands hook."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from snnkit.plugins import PluginLoadWarning, PluginManager, get_plugin_manager
from snnkit.registry import Provider
from snnkit_cli import catalog
from snnkit_cli.commands.export import export_command
from snnkit_cli.commands.inspect import inspect_command
from snnkit_cli.commands.plot import plot_command
from snnkit_cli.commands.plugins import plugins_command
from snnkit_cli.commands.predict import predict_command
from snnkit_cli.commands.run import experiments_command, run_command
from snnkit_cli.commands.sweep import sweep_command
from snnkit_cli.group import INTERRUPTED, USAGE_ERROR, SnnkitGroup, new_group

__all__ = ["INTERRUPTED", "USAGE_ERROR", "SnnkitGroup", "add_plugin_commands", "cli", "main"]

cli = new_group()
for command in (
    run_command,
    experiments_command,
    plugins_command,
    inspect_command,
    plot_command,
    export_command,
    predict_command,
    sweep_command,
):
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


def main(catalog_key: str | None = None) -> None:
    """Console-script entry point: add plugins' commands, then run with the process-wide plugins.
    With ``catalog_key`` (no catalog was stored under it), store what the plugins provide there."""
    shown: list[str] = []

    def one_line(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        """Plugin problems as one line on stderr (``snnkit plugins`` lists them in full, not here)."""
        shown.append(str(message))
        if not (listing and issubclass(category, PluginLoadWarning)):
            click.echo(f"warning: {message}", err=True)

    listing = "plugins" in sys.argv[1:2]
    warnings.showwarning = one_line  # type: ignore[assignment]
    try:
        manager = get_plugin_manager()
        add_plugin_commands(manager, cli)
        if catalog_key is not None:
            with warnings.catch_warnings():  # what fails now is listed by `snnkit plugins`
                warnings.simplefilter("ignore")
                catalog.save(catalog_key, catalog.build(manager, cli, shown))
    except KeyboardInterrupt:
        click.echo("\ninterrupted while loading plugins: nothing was run", err=True)
        sys.exit(INTERRUPTED)
    cli(prog_name="snnkit", obj=manager)
