"""Discovery through the ``snnkit`` entry-point group, with distributions made in ``tmp_path``.

Each test writes real ``*.dist-info`` folders and modules on ``sys.path``, so ``importlib.metadata``
finds them exactly as it finds an installed package.
"""

import itertools
import textwrap

import pytest

from snnkit import PluginManager
from snnkit.errors import ComponentUnavailableError, DuplicateComponentError
from snnkit.plugins import PluginLoadWarning

_counter = itertools.count()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Returns ``install(dist, version, {entry point: module source})`` writing to a fake site dir."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("SNNKIT_DISABLE_PLUGINS", raising=False)

    def install(dist: str, version: str, plugins: dict[str, str]) -> dict[str, str]:
        modules = {}
        lines = ["[snnkit]"]
        for ep, source in plugins.items():
            module = f"fake_snnkit_plugin_{next(_counter)}"
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
            lines.append(f"{ep} = {module}")
            modules[ep] = module
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        return modules

    return install


NEURON = """
    from snnkit import hookimpl

    class {cls}:
        '''{summary}'''
        def __init__(self, shape, *, gain: float = 1.0):
            self.shape, self.gain = shape, gain

    @hookimpl
    def snnkit_register_neurons(registry):
        registry.add("{name}", {cls})
"""


def fake_components(manager):
    return {c.name: c for c in manager.components() if c.provider.distribution.startswith("snnkit-fake")}


def test_plugins_are_discovered_with_their_distribution(site):
    site("snnkit-fake-a", "1.2.3", {"alpha": NEURON.format(cls="Alpha", summary="The alpha neuron.", name="alpha")})
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    alpha = fake_components(manager)["alpha"]
    assert alpha.summary == "The alpha neuron."
    assert (alpha.provider.distribution, alpha.provider.version, alpha.provider.plugin) == (
        "snnkit-fake-a",
        "1.2.3",
        "alpha",
    )
    assert manager.build("neurons", "alpha", 5, gain=2.0).gain == 2.0


def test_import_failure_is_reported_and_other_plugins_keep_working(site):
    site("snnkit-fake-broken", "0.1", {"broken": "import no_such_dependency_for_snnkit\n"})
    site("snnkit-fake-ok", "0.2", {"fine": NEURON.format(cls="Fine", summary="Fine.", name="fine")})
    manager = PluginManager()
    with pytest.warns(PluginLoadWarning, match="snnkit-fake-broken"):
        manager.load_setuptools_entrypoints()
    failure = next(f for f in manager.failures if f.plugin == "broken")
    assert failure.distribution == "snnkit-fake-broken" and failure.version == "0.1"
    assert "ModuleNotFoundError" in failure.error and "no_such_dependency_for_snnkit" in failure.error
    assert "fine" in fake_components(manager)


def test_same_name_from_two_distributions_names_both(site):
    site("snnkit-fake-one", "1.0", {"one": NEURON.format(cls="One", summary="One.", name="twin")})
    site("snnkit-fake-two", "2.0", {"two": NEURON.format(cls="Two", summary="Two.", name="twin")})
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    with pytest.raises(DuplicateComponentError) as info:
        manager.registry("neurons")
    message = str(info.value)
    assert "snnkit-fake-one 1.0" in message and "snnkit-fake-two 2.0" in message


def test_disable_plugins_blocks_entry_points_by_name(site, monkeypatch):
    site(
        "snnkit-fake-c",
        "1.0",
        {
            "keep": NEURON.format(cls="Keep", summary="Kept.", name="keep"),
            "drop": NEURON.format(cls="Drop", summary="Dropped.", name="drop"),
        },
    )
    monkeypatch.setenv("SNNKIT_DISABLE_PLUGINS", "drop, some-other")
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    assert set(fake_components(manager)) == {"keep"}
    assert manager.is_blocked("drop") and not manager.failures


def test_unavailable_component_names_the_extra_to_install(site):
    site(
        "snnkit-fake-x",
        "1.0",
        {
            "opt": """
        from snnkit import hookimpl

        @hookimpl
        def snnkit_register_datasets(registry):
            registry.add("needs-extra", dict, requires=["no_such_dependency_for_snnkit"], extra="vision")
    """
        },
    )
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    component = fake_components(manager)["needs-extra"]
    assert not component.available
    assert component.install == "pip install 'snnkit-fake-x[vision]'"
    with pytest.raises(ComponentUnavailableError, match=r"pip install 'snnkit-fake-x\[vision\]'"):
        component.build()
