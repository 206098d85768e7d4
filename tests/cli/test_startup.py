"""`snnkit`, `snnkit --help` and `snnkit plugins` answer from the plugin catalog without importing
torch once it is stored, say the same as with the plugins loaded, and follow a changed plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


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
