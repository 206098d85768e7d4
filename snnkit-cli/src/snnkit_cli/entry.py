"""The ``snnkit`` console script: exits quietly on Ctrl-C while the command line is still loading
(importing torch takes seconds), answers ``snnkit``, ``snnkit --help``, ``snnkit --version``,
``snnkit COMMAND --help``, ``snnkit plugins`` and mistyped commands or options of ``snnkit`` itself
from the plugin catalog (:mod:`snnkit_cli.catalog`) when it is up to date, and otherwise hands
over to :func:`snnkit_cli.main.main`. ``snnkit GROUP COMMAND --help`` (a
plugin's group) always loads: the group's own code runs before its command's help is printed."""

from __future__ import annotations

import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    sys.stderr.write("\ninterrupted while starting: nothing was run\n")
    raise SystemExit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    args = sys.argv[1:]
    from snnkit_cli import catalog

    try:  # about 0.05 s; a command that runs anything then spends seconds importing torch
        key = catalog.fingerprint()
        data = catalog.load(key)
    except Exception:  # the catalog only saves time: without it, the plugins load as before
        key = data = None
    if data is not None and _answer(data, args):
        return
    from snnkit_cli.main import main as run_cli

    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_cli(key if data is None else None)  # a catalog that was read is up to date: not stored again


def _command_help(args: list[str]) -> bool:
    """Whether ``args`` asks for one command's help (``snnkit run --help``; ``-h`` where a command takes it)."""
    return len(args) == 2 and not args[0].startswith("-") and args[1] in ("--help", "-h")


def _answer(data: dict, args: list[str]) -> bool:
    """Answer ``args`` from the catalog ``data``; False when only the loaded plugins can (an
    unknown name, a bad option: their errors need the plugins)."""
    import click

    from snnkit.errors import SnnkitError
    from snnkit_cli.group import new_group

    if _command_help(args):
        stored = next((c for c in data["commands"] if c["name"] == args[0]), None)
        page = stored and stored.get("page")
        if page is not None and args[1] in page["help_names"]:
            return _help_page(data, args, page)
    if args[:1] == ["plugins"]:
        from snnkit_cli.commands.plugins import plugins_command, show

        if "--help" in args:
            return False
        try:
            context = plugins_command.make_context("plugins", args[1:])
        except click.ClickException:
            return False  # click's error message comes from the full command line
        params = context.params
        try:
            return show(data, params["name"], params["kind"], params["as_json"])
        except SnnkitError:
            return False
    names = {command["name"] for command in data["commands"]}
    if args[:1] and not args[0].startswith("-") and args[0] in names:
        return False  # a command to run, or its help with options the catalog has not stored
    # Left: no command, --help, --version, or a mistyped command or option of snnkit itself,
    # which the group answers as the loaded command line does (its commands' names suffice).
    for warning in data["startup_warnings"]:
        click.echo(f"warning: {warning}", err=True)
    from snnkit_cli.catalog import listed

    group = new_group()
    for command in data["commands"]:
        group.add_command(listed(command))
    group.main(args=args, prog_name="snnkit")
    return True


def _help_page(data: dict, args: list[str], page: dict) -> bool:
    """Print ``snnkit COMMAND --help`` from the help ``page`` the catalog stored for COMMAND, through
    click at the terminal's width, as the loaded command line prints it."""
    import click

    from snnkit_cli.catalog import stand_in
    from snnkit_cli.group import new_group

    if args[0] == "plugins" and data["startup_warnings"]:
        return False  # `snnkit plugins` leaves out some of them (it lists failures itself)
    for warning in data["startup_warnings"]:
        click.echo(f"warning: {warning}", err=True)
    group = new_group()
    group.add_command(stand_in(args[0], page))
    group.main(args=args, prog_name="snnkit")
    return True
