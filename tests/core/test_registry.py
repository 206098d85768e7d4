"""Registries, component metadata and the errors of the plugin system (no entry points needed)."""

import types
import warnings

import pytest

from snnkit import PluginManager, hookimpl
from snnkit.errors import (
    ComponentUnavailableError,
    DuplicateComponentError,
    InvalidNameError,
    ParameterError,
    PluginHookError,
    UnknownComponentError,
    UnknownKindError,
)
from snnkit.plugins import PluginLoadWarning
from snnkit.registry import KINDS


def plugin(**hooks):
    """A plugin object whose attributes are the given hook functions."""
    return types.SimpleNamespace(**hooks)


def test_component_metadata_comes_from_signature_and_docstring(plugins):
    lif = plugins.get("neurons", "relay")
    assert lif.kind == "neurons"
    assert lif.summary == "Spikes whenever its input reaches ``threshold``; ``v`` holds the last input."
    params = {p.name: p for p in lif.parameters}
    assert params["shape"].required
    assert params["threshold"].default == 0.5 and not params["threshold"].required
    assert "float" in params["threshold"].annotation
    assert lif.provider.plugin == "toys" and lif.provider.is_local
    assert lif.available


def test_components_lists_by_kind_sorted(plugins):
    assert [c.name for c in plugins.components("neurons")] == ["adaptive", "coin", "relay"]
    assert {c.kind for c in plugins.components()} == {"neurons", "connections", "learning_rules", "monitors"}
    assert plugins.components("learning-rules")[0].name == "hebb"  # dashes accepted for the kind


def test_unknown_name_lists_known_and_suggests_closest(plugins):
    with pytest.raises(UnknownComponentError) as info:
        plugins.get("neurons", "rely")
    message = str(info.value)
    assert "unknown neuron model 'rely'; did you mean 'relay'?" in message
    assert "Known neuron models: adaptive, coin, relay" in message
    assert info.value.suggestions == ["relay"]


def test_unknown_name_without_close_match_still_lists_known(plugins):
    with pytest.raises(UnknownComponentError) as info:
        plugins.get("connections", "zzz")
    message = str(info.value)
    assert "did you mean" not in message and "Known connection types: full" in message


def test_unknown_kind_suggests_closest(plugins):
    with pytest.raises(UnknownKindError, match="unknown component kind 'neuron'; did you mean 'neurons'"):
        plugins.components("neuron")
    assert "learning_rules" in KINDS


def test_build_checks_unknown_parameter_and_lists_accepted(plugins):
    with pytest.raises(ParameterError) as info:
        plugins.build("neurons", "relay", 3, treshold=1.0)
    message = str(info.value)
    assert "unknown parameter 'treshold' (did you mean 'threshold'?)" in message
    assert "Accepted parameters: shape, threshold, cap" in message


def test_build_checks_missing_and_mistyped_parameters(plugins):
    with pytest.raises(ParameterError, match=r"missing required parameter.*shape"):
        plugins.build("neurons", "relay", threshold=1.0)
    with pytest.raises(ParameterError, match="parameter 'threshold' must be float, got str 'high'"):
        plugins.build("neurons", "relay", 3, threshold="high")
    with pytest.raises(ParameterError, match="must be float or None, got bool"):
        plugins.build("neurons", "relay", 3, cap=True)
    layer = plugins.build("neurons", "relay", 3, threshold=2)  # an int is a fine float
    assert layer.threshold == 2 and layer.shape == (3,)


def test_build_passes_objects_through_but_refuses_parameters_with_them(plugins):
    layer = plugins.build("neurons", "relay", 4)
    assert plugins.build("neurons", layer) is layer
    with pytest.raises(ParameterError, match="only be given with a name"):
        plugins.build("neurons", layer, threshold=1.0)


def test_same_name_from_two_plugins_raises_naming_both():
    manager = PluginManager()
    manager.register(plugin(snnkit_register_neurons=lambda registry: registry.add("x", dict)), name="first")
    manager.register(plugin(snnkit_register_neurons=lambda registry: registry.add("x", list)), name="second")
    manager.register(plugin(snnkit_register_neurons=lambda registry: registry.add("y", set)), name="third")
    assert manager.build("neurons", "y") == set()  # other names keep working
    with pytest.raises(DuplicateComponentError) as info:
        manager.get("neurons", "x")
    assert "'first'" in str(info.value) and "'second'" in str(info.value)
    assert [p.plugin for p in manager.registry("neurons").conflicts["x"]] == ["first", "second"]
    assert "SNNKIT_DISABLE_PLUGINS=second" in str(info.value)


def test_names_must_be_kebab_case():
    manager = PluginManager()
    manager.register(plugin(snnkit_register_neurons=lambda registry: registry.add("MyLIF", dict)), name="p")
    with pytest.raises(InvalidNameError, match="lowercase kebab-case"):
        manager.registry("neurons")


def test_a_hook_that_raises_is_reported_and_others_keep_working(plugins):
    def broken(registry):
        raise RuntimeError("boom")

    plugins.register(plugin(snnkit_register_neurons=broken), name="broken")
    with pytest.warns(PluginLoadWarning, match="boom"):
        names = [c.name for c in plugins.components("neurons")]
    assert names == ["adaptive", "coin", "relay"]
    assert plugins.failures[0].plugin == "broken"
    assert "RuntimeError: boom" in plugins.failures[0].error


def test_misspelt_hook_fails_loudly_with_suggestion():
    manager = PluginManager()
    with pytest.raises(PluginHookError, match="'snnkit_register_nueron'; did you mean 'snnkit_register_neurons'"):
        manager.register(plugin(snnkit_register_nueron=lambda registry: None), name="typo")
    assert not manager.has_plugin("typo")


def test_imported_snnkit_modules_and_classes_are_not_mistaken_for_hooks():
    module = types.ModuleType("imports_things")
    module.snnkit_plugins = types.ModuleType("snnkit_plugins")  # as after `import snnkit_plugins`
    module.snnkit_Thing = type("snnkit_Thing", (), {})
    module.snnkit_register_neurons = lambda registry: registry.add("ok", dict)
    manager = PluginManager()
    manager.register(module)
    assert manager.registry("neurons").names() == ["ok"]


def test_hooks_without_marker_are_accepted_and_marked_ones_too():
    manager = PluginManager()

    def snnkit_register_neurons(registry):
        registry.add("plain", dict)

    @hookimpl
    def snnkit_register_connections(registry):
        registry.add("marked", dict)

    module = types.ModuleType("plain_plugin")
    module.snnkit_register_neurons = snnkit_register_neurons
    module.snnkit_register_connections = snnkit_register_connections
    manager.register(module)
    assert "plain" in manager.registry("neurons")
    assert "marked" in manager.registry("connections")


def test_registry_is_resolved_once_and_refreshed_when_plugins_change():
    calls = []
    manager = PluginManager()
    manager.register(plugin(snnkit_register_neurons=lambda registry: calls.append(registry)), name="counting")
    manager.registry("neurons")
    manager.registry("neurons")
    assert len(calls) == 1
    manager.register(plugin(snnkit_register_neurons=lambda registry: registry.add("late", dict)), name="late")
    assert "late" in manager.registry("neurons") and len(calls) == 2


def test_missing_optional_dependency_keeps_component_listed_but_unavailable():
    def hook(registry):
        registry.add("fancy", dict, requires=["no_such_module_for_snnkit"], extra="fancy")

    manager = PluginManager()
    manager.register(plugin(snnkit_register_datasets=hook), name="p")
    component = manager.get("datasets", "fancy")
    assert not component.available
    assert component.missing == ("no_such_module_for_snnkit",)
    with pytest.raises(ComponentUnavailableError, match="Install it with: pip install no_such_module_for_snnkit"):
        manager.build("datasets", "fancy")


def test_experiments_can_register_paths(tmp_path):
    path = tmp_path / "demo.toml"
    manager = PluginManager()
    manager.register(
        plugin(snnkit_register_experiments=lambda registry: registry.add("demo", path, summary="A demo.")), name="p"
    )
    component = manager.get("experiments", "demo")
    assert component.summary == "A demo." and component.parameters == ()
    assert manager.build("experiments", "demo") == path


def test_no_warnings_when_everything_loads(plugins):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plugins.components()
    assert plugins.failures == []


def test_a_literal_parameter_error_lists_the_allowed_values():
    from typing import Literal

    class Rule:
        def __init__(self, reduction: Literal["mean", "sum"] = "mean") -> None:
            self.reduction = reduction

    manager = PluginManager()
    manager.register(plugin(snnkit_register_learning_rules=lambda registry: registry.add("r", Rule)), name="p")
    with pytest.raises(ParameterError, match="parameter 'reduction' must be one of 'mean', 'sum', got str 'max'"):
        manager.build("learning_rules", "r", reduction="max")
    assert manager.build("learning_rules", "r", reduction="sum").reduction == "sum"


def test_defaults_come_from_the_plugins_that_offer_them():
    from snnkit.errors import SnnkitError

    manager = PluginManager()
    assert manager.registry("recorders").default() is None
    manager.register(
        plugin(snnkit_register_recorders=lambda registry: registry.add("mine", dict, default=True)), name="a"
    )
    assert manager.registry("recorders").default().name == "mine"
    manager.register(
        plugin(snnkit_register_recorders=lambda registry: registry.add("theirs", list, default=True)), name="b"
    )
    with pytest.raises(SnnkitError, match=r"several recorders are offered as the default: 'mine' .* and 'theirs'"):
        manager.registry("recorders").default()


def test_parameters_show_annotations_as_written_without_postponed_annotations():
    from snnkit.registry import Registry

    namespace: dict = {}
    exec(  # a plugin module without `from __future__ import annotations`: real types, not strings
        "from collections.abc import Sequence\n"
        "def make(shape: Sequence[int], *, tau: float = 10.0, limit: int | None = None): ...\n",
        namespace,
    )
    registry = Registry("neurons")
    registry.add("made", namespace["make"])
    shown = {p.name: p.annotation for p in registry.get("made").parameters}
    assert shown == {"shape": "Sequence[int]", "tau": "float", "limit": "int | None"}
