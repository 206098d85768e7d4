"""Discovery through the ``snnkit`` entry-point group, with distributions made in ``tmp_path``.

Each test writes real ``*.dist-info`` folders and modules on ``sys.path``, so ``importlib.metadata``
finds them exactly as it finds an installed package.
"""

import pytest

from snnkit import PluginManager
from snnkit.errors import ComponentUnavailableError, DuplicateComponentError
from snnkit.plugins import PluginLoadWarning

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
    site("snnkit-fake-three", "3.0", {"three": NEURON.format(cls="Three", summary="Three.", name="single")})
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    assert manager.get("neurons", "single").provider.distribution == "snnkit-fake-three"  # the rest works
    with pytest.raises(DuplicateComponentError) as info:
        manager.get("neurons", "twin")  # refused only when the name is used
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


def test_a_misspelt_hook_or_argument_is_reported_and_the_rest_works(site):
    site("snnkit-fake-typo", "0.1", {"typo": "def snnkit_register_nurons(registry):\n    pass\n"})
    site("snnkit-fake-arg", "0.2", {"arg": "def snnkit_register_neurons(registri):\n    pass\n"})
    site("snnkit-fake-ok", "0.3", {"fine": NEURON.format(cls="Fine", summary="Fine.", name="fine")})
    manager = PluginManager()
    with pytest.warns(PluginLoadWarning):
        manager.load_setuptools_entrypoints()
    errors = {f.plugin: (f.distribution, f.error) for f in manager.failures}
    assert errors["typo"][0] == "snnkit-fake-typo" and "did you mean 'snnkit_register_neurons'" in errors["typo"][1]
    assert errors["arg"][0] == "snnkit-fake-arg" and "snnkit_register_neurons takes (registry)" in errors["arg"][1]
    assert "fine" in fake_components(manager)


def test_an_unknown_name_mentions_plugins_that_failed_or_are_disabled(site, monkeypatch):
    site("snnkit-fake-adex", "0.1", {"adex": "import no_such_dependency_for_snnkit\n"})
    monkeypatch.setenv("SNNKIT_DISABLE_PLUGINS", "lif")
    manager = PluginManager()
    with pytest.warns(PluginLoadWarning):
        manager.load_setuptools_entrypoints()
    with pytest.raises(Exception, match="unknown neuron model 'latency'") as info:
        manager.get("neurons", "latency")
    message = str(info.value)
    assert "plugin 'adex' from snnkit-fake-adex failed to load (ModuleNotFoundError" in message
    assert "plugin 'lif' is disabled by SNNKIT_DISABLE_PLUGINS" in message


def test_using_a_disabled_plugin_says_it_is_disabled(site, monkeypatch):
    site("snnkit-fake-d", "1.0", {"gone": NEURON.format(cls="Gone", summary="Gone.", name="gone")})
    site("snnkit-fake-e", "1.0", {"gene": NEURON.format(cls="Gene", summary="Gene.", name="gene")})
    monkeypatch.setenv("SNNKIT_DISABLE_PLUGINS", "gone")
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    with pytest.raises(Exception, match="the plugin 'gone' is disabled by SNNKIT_DISABLE_PLUGINS") as info:
        manager.get("neurons", "gone")
    assert "did you mean" not in str(info.value)  # not 'gene'
