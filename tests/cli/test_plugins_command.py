"""``snnkit plugins``: the table, the JSON, one component's details and the errors."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from snnkit import PluginManager
from snnkit.plugins import PluginLoadWarning
from snnkit_cli.main import cli


@pytest.fixture
def invoke(entry_point_plugins):
    def run(*args):
        return CliRunner().invoke(cli, list(args), obj=entry_point_plugins)

    return run


def test_table_lists_every_builtin_with_provider_and_status(invoke):
    result = invoke("plugins")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "SUMMARY", "PROVIDED", "BY", "STATUS"]
    rows = {tuple(line.split()[:2]) for line in lines[1:]}
    assert {("neurons", "input"), ("neurons", "lif"), ("connections", "dense"), ("monitors", "state")} <= rows
    lif = next(line for line in lines if line.split()[:2] == ["neurons", "lif"])
    assert "Leaky integrate-and-fire" in lif and "snnkit-plugins 0.1.0" in lif and lif.endswith("available")


def test_kind_filter_and_json(invoke):
    data = json.loads(invoke("plugins", "--kind", "connections", "--json").output)
    assert {c["kind"] for c in data["components"]} == {"connections"}
    dense = next(c for c in data["components"] if c["name"] == "dense")
    assert dense["distribution"] == "snnkit-plugins" and dense["available"] is True
    params = {p["name"]: p for p in dense["parameters"]}
    assert params["source_shape"]["required"] and params["wmax"]["default"] == "inf"
    assert data["failures"] == []


def test_one_component_shows_parameters_defaults_and_docstring(invoke):
    result = invoke("plugins", "lif")
    assert result.exit_code == 0
    assert "tau_mem: float = 100.0" in result.output
    assert "shape: int | Sequence[int] = (required)" in result.output
    assert "v[t] = v_rest + exp(-dt / tau_mem)" in result.output
    detail = json.loads(invoke("plugins", "lif", "--json").output)[0]
    assert detail["name"] == "lif" and "refractory" in detail["doc"]


def test_unknown_name_and_kind_exit_2_with_a_suggestion(invoke):
    result = invoke("plugins", "lfi")
    assert result.exit_code == 2
    assert "unknown component 'lfi'; did you mean 'lif'?" in result.output
    assert "Traceback" not in result.output
    result = invoke("plugins", "--kind", "neuron")
    assert result.exit_code == 2 and "did you mean 'neurons'" in result.output


def test_failed_plugins_are_reported(invoke, entry_point_plugins):
    with pytest.warns(PluginLoadWarning):
        entry_point_plugins._fail("broken", "snnkit-broken", "9.9", "ImportError: no module named x")
    result = invoke("plugins")
    assert result.exit_code == 0
    assert "failed: plugin 'broken' from snnkit-broken 9.9: ImportError: no module named x" in result.output


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "snnkit_cli", "plugins", "--kind", "neurons", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "lif" in {c["name"] for c in json.loads(result.stdout)["components"]}


def test_plugins_can_add_commands_through_the_hook(entry_point_plugins):
    import click

    from snnkit import hookimpl
    from snnkit_cli.main import SnnkitGroup

    class Greeter:
        @hookimpl
        def snnkit_register_commands(self, cli):
            @cli.command("hello")
            def hello():
                """Say hello."""
                click.echo("hello from a plugin")

    group = SnnkitGroup(name="snnkit")
    entry_point_plugins.register(Greeter(), name="greeter")
    entry_point_plugins.hook.snnkit_register_commands(cli=group)
    result = CliRunner().invoke(group, ["hello"], obj=entry_point_plugins)
    assert result.exit_code == 0 and result.output == "hello from a plugin\n"


def test_a_commands_hook_that_raises_leaves_every_other_command_working(site):
    import click
    from click.testing import CliRunner

    from snnkit_cli.commands.plugins import plugins_command
    from snnkit_cli.main import add_plugin_commands

    site(
        "snnkit-fake-bad-cli", "0.1", {"badcli": "def snnkit_register_commands(cli):\n    raise RuntimeError('boom')\n"}
    )
    site(
        "snnkit-fake-cli",
        "0.2",
        {
            "hello": """
                import click

                @click.command("hello")
                def hello():
                    click.echo("hi")

                def snnkit_register_commands(cli):
                    cli.add_command(hello)
            """
        },
    )
    site(
        "snnkit-fake-thief",
        "0.3",
        {
            "thief": """
                import click

                @click.command("plugins")
                def plugins():
                    click.echo("stolen")

                def snnkit_register_commands(cli):
                    cli.add_command(plugins)
            """
        },
    )
    manager = PluginManager()
    manager.load_setuptools_entrypoints()

    @click.group()
    def group():
        pass

    group.add_command(plugins_command)
    with pytest.warns(PluginLoadWarning) as warned:
        add_plugin_commands(manager, group)
    messages = " | ".join(str(w.message) for w in warned)
    assert "snnkit_register_commands raised RuntimeError: boom (at " in messages
    runner = CliRunner()
    assert runner.invoke(group, ["hello"], obj=manager).output == "hi\n"
    listing = runner.invoke(group, ["plugins", "--kind", "commands"], obj=manager)
    assert listing.exit_code == 0
    assert (
        "snnkit hello  (snnkit-fake-cli 0.2 (entry point 'hello'))" in listing.output
        or "snnkit hello" in listing.output
    )
    assert "snnkit-fake-bad-cli" in listing.output


def test_kind_commands_lists_the_commands_plugins_add(entry_point_plugins):
    import importlib.util

    from snnkit_cli.commands.plugins import plugins_command
    from snnkit_cli.main import SnnkitGroup, add_plugin_commands

    group = SnnkitGroup(name="snnkit")
    group.add_command(plugins_command)
    add_plugin_commands(entry_point_plugins, group)
    result = CliRunner().invoke(group, ["plugins", "--kind", "commands"], obj=entry_point_plugins)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "snnkit convert  (snnkit-plugins 0.1.0)"  # the built-in plugins add one
    if importlib.util.find_spec("snnkit_example") is not None:  # and so does the example package
        assert lines[1].startswith("snnkit example-info  (snnkit-example-plugin ")
    from snnkit.plugins import PluginManager

    bare = SnnkitGroup(name="snnkit")
    bare.add_command(plugins_command)
    none = CliRunner().invoke(bare, ["plugins", "--kind", "commands"], obj=PluginManager())
    assert none.output == "no installed plugin adds a command\n"
    listing = CliRunner().invoke(group, ["plugins", "--kind", "neurons"], obj=entry_point_plugins)
    assert "commands added by plugins" not in listing.output  # only in the full listing
    assert "commands added by plugins" in CliRunner().invoke(group, ["plugins"], obj=entry_point_plugins).output
