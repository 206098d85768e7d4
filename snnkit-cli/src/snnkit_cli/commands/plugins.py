"""``snnkit plugins``: list registered components, or show one in detail."""

from __future__ import annotations

import json
import shutil
from typing import Any

import click

from snnkit.errors import UnknownComponentError
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.registry import KINDS, Component, Parameter


@click.command("plugins")
@click.argument("name", required=False)
@click.option("--kind", "kind", metavar="KIND", help=f"Only this kind: {', '.join(KINDS)}, or commands.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def plugins_command(manager: PluginManager | None, name: str | None, kind: str | None, as_json: bool) -> None:
    """List every registered component, or show NAME's parameters and documentation."""
    manager = manager or get_plugin_manager()
    if kind == "commands" and name is None:  # not a component kind: the commands plugins add to snnkit
        commands = _plugin_commands()
        if as_json:
            click.echo(json.dumps({"commands": commands}, indent=2))
        for command in [] if as_json else commands:
            click.echo(f"snnkit {command['name']}  ({command['provided_by']})")
        if not commands and not as_json:
            click.echo("no installed plugin adds a command")
        if not as_json:
            _echo_failures(manager)
        return
    components = manager.components(kind)
    if name is not None:
        matches = [c for c in components if c.name == name]
        if not matches:
            note, suggest = manager.unknown_note(name)
            known = sorted({c.name for c in components})
            raise UnknownComponentError(kind, "component", name, known, note=note, suggest=suggest)
        if as_json:
            click.echo(json.dumps([_as_dict(c, detail=True) for c in matches], indent=2))
        else:
            click.echo("\n\n".join(_detail(c, manager) for c in matches))
        return
    commands = _plugin_commands()
    conflicts = _conflicts(manager, kind)
    if as_json:
        data = {
            "components": [_as_dict(c) for c in components],
            "commands": commands,
            "conflicts": conflicts,
            "failures": _failures(manager),
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(_table(components, manager))
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
    _echo_failures(manager)


def _echo_failures(manager: PluginManager) -> None:
    for failure in _failures(manager):
        click.echo(
            f"failed: plugin {failure['plugin']!r} from {failure['distribution']} {failure['version']}: "
            f"{failure['error']}",
            err=True,
        )


def _status(c: Component[Any], manager: PluginManager) -> str:
    conflict = manager.registry(c.kind).conflicts.get(c.name)
    if conflict:
        return f"conflict: also registered by {', '.join(str(p) for p in conflict[1:])}"
    return "available" if c.available else f"unavailable: {c.install}"


def _table(components: list[Component[Any]], manager: PluginManager) -> str:
    header = ("KIND", "NAME", "SUMMARY", "PROVIDED BY", "STATUS")
    rows = [(c.kind, c.name, c.summary, str(c.provider), _status(c, manager)) for c in components]
    width = shutil.get_terminal_size((160, 24)).columns
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    others = sum(widths) - widths[2] + 2 * (len(header) - 1)
    widths[2] = max(20, min(widths[2], width - others))
    lines = []
    for row in [header, *rows]:
        cells = [cell if len(cell) <= w else cell[: w - 1] + "…" for cell, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _default(p: Parameter) -> str:
    return "(required)" if p.required else repr(p.default)


def _detail(c: Component[Any], manager: PluginManager) -> str:
    lines = [
        f"{c.name} ({KINDS[c.kind]}, kind {c.kind})",
        f"provided by: {c.provider} (entry point {c.provider.plugin!r})",
        f"status: {_status(c, manager)}",
        "parameters:",
    ]
    lines += [f"  {p.name}: {p.annotation or 'any'} = {_default(p)}" for p in c.parameters] or ["  (none)"]
    return "\n".join([*lines, "", c.doc or c.summary])


def _json_value(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _as_dict(c: Component[Any], *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": c.kind,
        "name": c.name,
        "summary": c.summary,
        "distribution": c.provider.distribution,
        "version": c.provider.version,
        "entry_point": c.provider.plugin,
        "available": c.available,
        "install": c.install or None,
        "parameters": [
            {
                "name": p.name,
                "annotation": p.annotation,
                "required": p.required,
                "default": None if p.required else _json_value(p.default),
            }
            for p in c.parameters
        ],
    }
    if detail:
        data["doc"] = c.doc
    return data


def _plugin_commands() -> list[dict[str, str]]:
    """Commands that plugins added to the ``snnkit`` group (they carry their provider)."""
    context = click.get_current_context(silent=True)
    root = context.find_root().command if context else None
    commands = getattr(root, "commands", {})
    return [
        {"name": name, "provided_by": command.snnkit_provider}
        for name, command in sorted(commands.items())
        if hasattr(command, "snnkit_provider")
    ]


def _conflicts(manager: PluginManager, kind: str | None) -> list[dict[str, Any]]:
    kinds = [kind] if kind else list(KINDS)
    return [
        {"kind": k, "name": name, "providers": [str(p) for p in providers]}
        for k in kinds
        for name, providers in sorted(manager.registry(k).conflicts.items())
    ]


def _failures(manager: PluginManager) -> list[dict[str, str]]:
    return [f._asdict() for f in manager.failures]
