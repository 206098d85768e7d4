"""``snnkit plugins``: list registered components, or show one in detail."""

from __future__ import annotations

import json
import shutil
import warnings
from typing import Any

import click

from snnkit.errors import UnknownComponentError
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.registry import KINDS, check_kind
from snnkit_cli import catalog


@click.command("plugins")
@click.argument("name", required=False)
@click.option("--kind", "kind", metavar="KIND", help=f"Only this kind: {', '.join(KINDS)}, or commands.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def plugins_command(manager: PluginManager | None, name: str | None, kind: str | None, as_json: bool) -> None:
    """List every registered component, or show NAME's parameters and documentation."""
    manager = manager or get_plugin_manager()
    context = click.get_current_context()
    root = context.find_root().command
    with warnings.catch_warnings():  # failures are listed below, not warned about
        warnings.simplefilter("ignore")
        data = catalog.build(manager, root if isinstance(root, click.Group) else click.Group(), [])
    if not show(data, name, kind, as_json):
        note, suggest = manager.unknown_note(name or "")
        known = sorted({c.name for c in manager.components(kind)})
        raise UnknownComponentError(kind, "component", name, known, note=note, suggest=suggest)


def show(data: dict[str, Any], name: str | None, kind: str | None, as_json: bool) -> bool:
    """Print the listing (or NAME's detail) from ``data`` (see :mod:`snnkit_cli.catalog`); False,
    printing nothing, when NAME is not there (the caller explains with the loaded plugins)."""
    if kind is not None and kind != "commands":
        kind = check_kind(kind)
    commands = [c for c in data["commands"] if c["provided_by"]]
    if kind == "commands" and name is None:  # not a component kind: the commands plugins add to snnkit
        if as_json:
            click.echo(json.dumps({"commands": [_command(c) for c in commands]}, indent=2))
        for command in [] if as_json else commands:
            click.echo(f"snnkit {command['name']}  ({command['provided_by']})")
        if not commands and not as_json:
            click.echo("no installed plugin adds a command")
        if not as_json:
            _echo_failures(data)
        return True
    components = [c for c in data["components"] if kind in (None, c["kind"])]
    conflicts = [c for c in data["conflicts"] if kind in (None, c["kind"])]
    if name is not None:
        matches = [c for c in components if c["name"] == name]
        if not matches:
            return False
        if as_json:
            click.echo(json.dumps([_public(c, "defaults_shown") for c in matches], indent=2))
        else:
            click.echo("\n\n".join(_detail(c, data) for c in matches))
        return True
    if as_json:
        listing = {
            "components": [_public(c, "defaults_shown", "doc") for c in components],
            "commands": [_command(c) for c in commands],
            "conflicts": conflicts,
            "failures": data["failures"],
        }
        click.echo(json.dumps(listing, indent=2))
        return True
    click.echo(_table(components, data))
    if commands and kind is None:
        click.echo("\ncommands added by plugins:")
        for command in commands:
            click.echo(f"  snnkit {command['name']}  ({command['provided_by']})")
    for conflict in conflicts:
        click.echo(
            f"conflict: {conflict['kind']} {conflict['name']!r} is registered by {' and '.join(conflict['providers'])};"
            " using it is an error until one is uninstalled or disabled with SNNKIT_DISABLE_PLUGINS",
            err=True,
        )
    _echo_failures(data)
    return True


def _public(c: dict[str, Any], *hidden: str) -> dict[str, Any]:
    return {k: v for k, v in c.items() if k not in hidden}


def _command(c: dict[str, Any]) -> dict[str, str]:
    return {"name": c["name"], "provided_by": c["provided_by"]}


def _echo_failures(data: dict[str, Any]) -> None:
    for failure in data["failures"]:
        click.echo(
            f"failed: plugin {failure['plugin']!r} from {failure['distribution']} {failure['version']}: "
            f"{failure['error']}",
            err=True,
        )


def _provider(c: dict[str, Any]) -> str:
    return f"{c['distribution']} {c['version']}".strip()


def _status(c: dict[str, Any], data: dict[str, Any]) -> str:
    conflict = next((x for x in data["conflicts"] if (x["kind"], x["name"]) == (c["kind"], c["name"])), None)
    if conflict:
        return f"conflict: also registered by {', '.join(conflict['providers'][1:])}"
    return "available" if c["available"] else f"unavailable: {c['install']}"


def _table(components: list[dict[str, Any]], data: dict[str, Any]) -> str:
    header = ("KIND", "NAME", "SUMMARY", "PROVIDED BY", "STATUS")
    rows = [(c["kind"], c["name"], c["summary"], _provider(c), _status(c, data)) for c in components]
    width = shutil.get_terminal_size((160, 24)).columns
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    others = sum(widths) - widths[2] + 2 * (len(header) - 1)
    widths[2] = max(20, min(widths[2], width - others))
    lines = []
    for row in [header, *rows]:
        cells = [cell if len(cell) <= w else cell[: w - 1] + "…" for cell, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _detail(c: dict[str, Any], data: dict[str, Any]) -> str:
    lines = [
        f"{c['name']} ({KINDS[c['kind']]}, kind {c['kind']})",
        f"provided by: {_provider(c)} (entry point {c['entry_point']!r})",
        f"status: {_status(c, data)}",
        "parameters:",
    ]
    lines += [
        f"  {p['name']}: {p['annotation'] or 'any'} = {'(required)' if p['required'] else shown}"
        for p, shown in zip(c["parameters"], c["defaults_shown"], strict=True)
    ] or ["  (none)"]
    return "\n".join([*lines, "", c["doc"] or c["summary"]])
