"""What the installed plugins provide, kept in a file so that ``snnkit --help`` and ``snnkit plugins``
answer in a fraction of a second, and ``snnkit COMMAND --help`` too: loading the plugins imports
torch, which takes seconds.

The file is named after a fingerprint of everything the listing depends on (the Python, every folder
on ``sys.path``, the ``snnkit`` entry points with their distributions' versions, the size and time of
every file of the packages they live in, and ``SNNKIT_DISABLE_PLUGINS``), so installing, removing or
editing a plugin makes the next command load the plugins and write a new file. Nothing here imports
torch. ``SNNKIT_CACHE_DIR`` moves the files (default ``$XDG_CACHE_HOME/snnkit`` or ``~/.cache/snnkit``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from gettext import gettext
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from snnkit.plugins import DISABLE_VARIABLE, PluginManager
from snnkit.registry import KINDS, Component

CACHE_VARIABLE = "SNNKIT_CACHE_DIR"
#: Raised whenever the stored fields change, so an older snnkit's file is never read.
FORMAT = 2
#: Catalogs kept (one per Python environment and state of its plugins); older ones are removed.
KEEP = 8


def cache_dir() -> Path:
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "snnkit"


def _package_files(top: str) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every file of the top-level module or package ``top``."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    roots = list(spec.submodule_search_locations or []) or [spec.origin or ""]
    found = []
    for root in roots:
        if os.path.isfile(root):
            stat = os.stat(root)
            found.append((root, stat.st_size, stat.st_mtime_ns))
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(folder, name)
                stat = os.stat(path)
                found.append((path, stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def fingerprint() -> str:
    """Changes whenever anything the plugin listing depends on may have changed."""
    parts: list[Any] = [FORMAT, sys.executable, sys.version, os.environ.get(DISABLE_VARIABLE, "")]
    for folder in sys.path:  # installing or removing a distribution changes its folder's time
        try:
            parts.append((folder, os.stat(folder or ".").st_mtime_ns))
        except OSError:
            parts.append((folder, None))
    points = sorted(
        ((ep.dist.name if ep.dist else "", ep.dist.version if ep.dist else "", ep.name, ep.value))
        for ep in entry_points(group="snnkit")
    )
    parts.append(points)
    for top in sorted({"snnkit", "snnkit_cli"} | {value.split(":")[0].split(".")[0] for *_, value in points}):
        parts.append(_package_files(top))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def _path(key: str) -> Path:
    return cache_dir() / f"plugins-{key}.json"


def load(key: str) -> dict[str, Any] | None:
    """The listing stored under ``key``, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def save(key: str, data: dict[str, Any]) -> None:
    """Store ``data`` under ``key`` (atomically) and drop all but the newest :data:`KEEP` catalogs; a
    folder that cannot be written is skipped silently (the command line then loads the plugins each time)."""
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False, encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(file.name, _path(key))
        stored = sorted(folder.glob("plugins-*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in stored[KEEP:]:  # each edit of a plugin makes a new one
            old.unlink(missing_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find
        pass


def component(c: Component[Any]) -> dict[str, Any]:
    """One component as ``snnkit plugins --json`` shows it (``doc`` only in the detailed view; ``defaults_shown``
    never, it is the parameters' defaults as Python writes them)."""
    return {
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
        "doc": c.doc,
        "defaults_shown": [repr(p.default) for p in c.parameters],  # as written, for the detailed view
    }


def _json_value(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


#: Widths (``Context.terminal_width``) at which a stored help page must print as the command's own
#: does before it is stored: click wraps at the terminal's width, at most ``max_content_width`` (80).
CHECKED_WIDTHS = (40, 52, 66, 80, 200)


def help_page(group: click.Group, name: str, command: click.Command) -> dict[str, Any] | None:
    """What ``snnkit NAME --help`` prints, as the pieces click formats at the terminal's width
    (:func:`stand_in` builds a command from them); None when a stand-in would not print exactly what
    ``command`` prints at every width in :data:`CHECKED_WIDTHS` (a command that formats its own help),
    or when it takes no help option: ``snnkit NAME --help`` then loads the plugins."""
    try:
        parent = group.context_class(group, info_name="snnkit", **group.context_settings)
        ctx = command.context_class(command, info_name=name, parent=parent, **command.context_settings)
        params = command.get_params(ctx)
        arguments = [p for p in params if isinstance(p, click.Argument)]
        page = {
            "usage": " ".join(command.collect_usage_pieces(ctx)),
            "help": command.help,
            "epilog": command.epilog,
            "deprecated": command.deprecated,
            "arguments": [p.get_help_record(ctx) for p in arguments] if any(p.help for p in arguments) else None,
            "options": [r for p in params if not isinstance(p, click.Argument) and (r := p.get_help_record(ctx))],
            "help_names": command.get_help_option_names(ctx) if command.add_help_option else [],
            "settings": {
                k: getattr(ctx, k)
                for k in ("terminal_width", "max_content_width", "color")
                if getattr(ctx, k) is not None
            },
            "commands": None,
        }
        if isinstance(command, click.Group):
            subcommands = [(n, command.get_command(ctx, n)) for n in command.list_commands(ctx)]
            page["commands"] = [
                {"name": n, "help": c.help, "short_help": c.short_help, "hidden": c.hidden, "deprecated": c.deprecated}
                for n, c in subcommands
                if c is not None
            ]
        page = json.loads(json.dumps(page))  # as it will be read back
        if not page["help_names"]:
            return None
        for width in CHECKED_WIDTHS:
            settings = {**command.context_settings, "terminal_width": width}
            real = command.context_class(command, info_name=name, parent=parent, **settings)
            stored = stand_in(name, page)
            as_read = {**page["settings"], "terminal_width": width}  # as entry.py will make it
            again = stored.context_class(stored, info_name=name, parent=parent, **as_read)
            if stored.get_help(again) != command.get_help(real):
                return None
        return page
    except Exception:  # whatever a plugin's command does, its help is then printed by loading it
        return None


class _Stored(click.Command):
    """Prints a help page that :func:`help_page` stored, through click's own formatting."""

    page: dict[str, Any]

    def get_help_option_names(self, ctx: click.Context) -> list[str]:
        return list(self.page["help_names"])

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, self.page["usage"])

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.page["arguments"] is not None:
            with formatter.section(gettext("Positional arguments")):
                formatter.write_dl([tuple(r) for r in self.page["arguments"]])

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.page["options"]:
            with formatter.section(gettext("Options")):
                formatter.write_dl([tuple(r) for r in self.page["options"]])
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


class _StoredGroup(_Stored, click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order the group listed them


def stand_in(name: str, page: dict[str, Any]) -> click.Command:
    """A command that prints the help ``page`` (from :func:`help_page`) and does nothing else."""
    kind = _Stored if page["commands"] is None else _StoredGroup
    command = kind(
        name, help=page["help"], epilog=page["epilog"], deprecated=page["deprecated"], context_settings=page["settings"]
    )
    command.page = page
    for sub in page["commands"] or []:
        assert isinstance(command, click.Group)
        command.add_command(listed(sub))
    return command


def listed(stored: dict[str, Any]) -> click.Command:
    """A command that only shows itself in its group's list (name, help, hidden, deprecated)."""
    return click.Command(
        stored["name"],
        help=stored["help"],
        short_help=stored["short_help"],
        hidden=stored["hidden"],
        deprecated=stored["deprecated"],
    )


def build(manager: PluginManager, group: click.Group, startup_warnings: list[str]) -> dict[str, Any]:
    """Everything ``snnkit --help``, ``snnkit COMMAND --help`` and ``snnkit plugins`` show, from the
    loaded plugins and the ``snnkit`` group (its commands, with the plugins' ones marked by their
    provider, and each one's help page)."""
    components = [component(c) for c in manager.components()]
    conflicts = [
        {"kind": k, "name": name, "providers": [str(p) for p in providers]}
        for k in KINDS
        for name, providers in sorted(manager.registry(k).conflicts.items())
    ]
    commands = [
        {
            "name": name,
            "help": command.help,
            "short_help": command.short_help,
            "hidden": command.hidden,
            "deprecated": bool(command.deprecated),
            "provided_by": getattr(command, "snnkit_provider", None),
            "page": help_page(group, name, command),
        }
        for name, command in sorted(group.commands.items())
    ]
    return {
        "format": FORMAT,
        "components": components,
        "conflicts": conflicts,
        "failures": [f._asdict() for f in manager.failures],
        "commands": commands,
        "startup_warnings": startup_warnings,
    }
