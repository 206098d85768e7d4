"""`snnkit`, `snnkit --help`, `snnkit COMMAND --help` and `snnkit plugins` answer from the plugin
catalog without importing torch once it is stored, say the same as with the plugins loaded, and
follow a changed plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from snnkit_cli import entry


def snnkit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``snnkit ARGS`` in a fresh interpreter that reports what it imports (``-X importtime``)."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snnkit_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def printed(result: subprocess.CompletedProcess[str]) -> tuple[int, str, list[str]]:
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    return result.returncode, result.stdout, errors


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "SNNKIT_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}


def test_importing_the_core_and_the_catalog_does_not_import_torch():
    code = "import sys, snnkit, snnkit.plugins, snnkit_cli.entry, snnkit_cli.catalog, snnkit_cli.commands.plugins"
    probe = f"{code}; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_help_and_plugins_come_from_the_catalog_without_torch(env, tmp_path):
    (tmp_path / "not-a-folder").write_text("")
    no_catalog = {**env, "SNNKIT_CACHE_DIR": str(tmp_path / "not-a-folder")}  # cannot be stored: plugins load
    first = snnkit("--help", env=env)  # loads the plugins and stores the catalog
    assert "torch" in imported(first) and first.returncode == 0 and " run " in first.stdout
    assert len(os.listdir(env["SNNKIT_CACHE_DIR"])) == 1
    for args in (["--help"], ["plugins", "lif"], ["plugins", "--kind", "neurons", "--json"], ["plugins"]):
        cached = snnkit(*args, env=env)
        assert "torch" not in imported(cached), args
        assert cached.returncode == 0 and cached.stdout, args
        if args != ["plugins"]:  # the table is drawn from the same data as the JSON
            loaded = snnkit(*args, env=no_catalog) if args != ["--help"] else first
            assert "torch" in imported(loaded)
            assert printed(cached) == printed(loaded), args
    # answered by the loaded plugins, as before: the error names the closest component
    unknown = snnkit("plugins", "lifx", env=env)
    assert unknown.returncode == 2 and "did you mean 'lif'?" in unknown.stderr


def test_a_changed_plugin_is_seen_at_once(tmp_path, env):
    module = tmp_path / "site" / "startup_probe_plugin.py"
    info = tmp_path / "site" / "startup_probe-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: startup-probe\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[snnkit]\nstartup-probe = startup_probe_plugin\n")
    source = """
        import snnkit

        class Probe:
            '''A probe neuron model named {name}.'''

        @snnkit.hookimpl
        def snnkit_register_neurons(registry):
            registry.add("{name}", Probe)
    """
    env = {**env, "PYTHONPATH": str(tmp_path / "site")}
    module.write_text(textwrap.dedent(source.format(name="probe-one")))
    assert "probe-one" in snnkit("plugins", "--kind", "neurons", env=env).stdout
    assert "probe-one" in snnkit("plugins", "--kind", "neurons", env=env).stdout  # from the catalog
    module.write_text(textwrap.dedent(source.format(name="probe-two")))
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as an editor saving a second later
    changed = snnkit("plugins", "--kind", "neurons", env=env)
    assert "probe-two" in changed.stdout and "probe-one" not in changed.stdout
    assert "torch" in imported(changed)  # it loaded the plugins again


#: The loaded command line (its plugins' commands added, as `snnkit` adds them) printing the help
#: of each command named on its command line, one after the other, each ending with its exit code.
LOADED_HELP = """
import sys
from snnkit.plugins import get_plugin_manager
from snnkit_cli.main import add_plugin_commands, cli

manager = get_plugin_manager()
add_plugin_commands(manager, cli)
for name in sys.argv[1:]:
    try:
        cli.main([name, "--help"], prog_name="snnkit", obj=manager)
    except SystemExit as exit:
        print(f"--- exit {exit.code}", flush=True)
"""


def test_version_and_mistyped_commands_come_from_the_catalog_without_torch(env, tmp_path):
    (tmp_path / "not-a-folder").write_text("")
    no_catalog = {**env, "SNNKIT_CACHE_DIR": str(tmp_path / "not-a-folder")}  # cannot be stored: plugins load
    assert snnkit("--help", env=env).returncode == 0  # stores the catalog
    for args in (["--version"], ["runx"], ["runx", "--help"], ["--hlep"]):
        cached, loaded = snnkit(*args, env=env), snnkit(*args, env=no_catalog)
        assert "torch" not in imported(cached) and "torch" in imported(loaded), args
        assert printed(cached) == printed(loaded), args
    assert printed(cached)[0] == 2 and "No such option '--hlep'. Did you mean '--help'?" in printed(cached)[2][-1]
    assert "Error: No such command 'runx'. Did you mean 'run'?" in snnkit("runx", env=env).stderr


def test_command_help_comes_from_the_catalog_without_torch(env):
    # a name no command has: the loaded command line says so, as before; this stores the catalog
    unknown = snnkit("runx", "--help", env=env)
    assert "torch" in imported(unknown)
    assert unknown.returncode == 2 and "Error: No such command 'runx'." in unknown.stderr
    (stored,) = (Path(env["SNNKIT_CACHE_DIR"]) / name for name in os.listdir(env["SNNKIT_CACHE_DIR"]))
    data = json.loads(stored.read_text())
    for args in (["run", "-h"], ["run", "--help", "--json"], ["run", "--hlep"]):  # for the loaded command line
        assert entry._answer(data, args) is False, args
    names = ["run", "sweep", "predict", "convert"]  # convert: a command a plugin adds
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED_HELP, *names], capture_output=True, text=True, env=env, timeout=300
    )
    pages = loaded.stdout.split("--- exit 0\n")
    assert len(pages) == len(names) + 1 and not pages[-1], loaded.stderr
    for name, page in zip(names, pages, strict=False):
        cached = snnkit(name, "--help", env=env)
        assert "torch" not in imported(cached), name
        assert printed(cached) == (0, page, []), name
        assert page.startswith(f"Usage: snnkit {name} [OPTIONS]") and "  --help " in page


def test_a_help_page_is_stored_only_when_click_prints_it_the_same_from_what_is_stored():
    import click

    from snnkit_cli import catalog

    @click.group("tools", epilog="See docs/tools.md.")
    @click.option("--verbose", "-v", count=True, help="Say more.")
    def tools(verbose: int) -> None:
        """Small tools, each a subcommand."""

    @tools.command("count", deprecated="use wc")
    @click.argument("path", help="A file to count the lines of.")
    @click.option("--every", type=click.IntRange(1), default=10, show_default=True, help="Report every N lines.")
    def count(path: str, every: int) -> None:
        """Count PATH's lines."""

    @tools.command("hidden", hidden=True)
    def hidden() -> None:
        """Not listed."""

    class Framed(click.Command):
        def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            formatter.write(f"== {self.name} ==\n")

    group = click.Group("snnkit", commands=[tools, count, Framed("framed", help="Framed help.")])
    for name, command in group.commands.items():
        page = catalog.help_page(group, name, command)
        if isinstance(command, Framed):  # formats its own help: loaded to print it
            assert page is None
            continue
        stored = catalog.stand_in(name, page)
        for width in (45, 79, 120):
            parent = click.Context(group, info_name="snnkit")
            real = click.Context(command, info_name=name, parent=parent, terminal_width=width)
            again = click.Context(stored, info_name=name, parent=parent, terminal_width=width)
            assert stored.get_help(again) == command.get_help(real), (name, width)
    tools_page = catalog.help_page(group, "tools", tools)
    assert [c["name"] for c in tools_page["commands"]] == ["count", "hidden"]
    assert tools_page["options"][0] == ["-v, --verbose", "Say more."]
    count_page = catalog.help_page(group, "count", count)
    assert count_page["usage"] == "[OPTIONS] PATH" and count_page["arguments"] == [
        ["PATH", "A file to count the lines of."]
    ]
    assert count_page["options"][0] == ["--every INTEGER RANGE", "Report every N lines.  [default: 10; x>=1]"]
