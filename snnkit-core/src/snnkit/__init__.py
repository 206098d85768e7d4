"""snnkit: spiking neural networks on PyTorch, extended through plugins.

The core holds the interfaces, the :class:`Network` that runs them and the plugin manager; every
concrete model comes from a plugin found through the ``snnkit`` entry-point group.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

#: Where each public name lives. They are imported on first use, so that ``import snnkit`` (and the
#: command line's ``snnkit --help`` and ``snnkit plugins``) does not import torch, which takes seconds.
_PUBLIC = {
    "ActionFunction": "environments",
    "Activity": "context",
    "Component": "registry",
    "Connection": "connections",
    "Context": "context",
    "Encoder": "encoders",
    "Environment": "environments",
    "LearningRule": "learning",
    "Loss": "losses",
    "Monitor": "monitors",
    "Network": "network",
    "NetworkState": "network",
    "NeuronGroup": "neurons",
    "NoState": "context",
    "Pipeline": "pipelines",
    "PluginManager": "plugins",
    "RateEncoder": "encoders",
    "Registry": "registry",
    "SnnkitError": "errors",
    "Surrogate": "surrogates",
    "Transition": "environments",
    "any_nonzero": "ops",
    "from_nir": "nirio",
    "get_plugin_manager": "plugins",
    "hookimpl": "hookspecs",
    "plot": "plots",
    "spike": "surrogates",
    "sweep": "sweeps",
    "to_nir": "nirio",
    "to_spikes": "surrogates",
}

if TYPE_CHECKING:
    from snnkit.connections import Connection
    from snnkit.context import Activity, Context, NoState
    from snnkit.encoders import Encoder, RateEncoder
    from snnkit.environments import ActionFunction, Environment, Transition
    from snnkit.errors import SnnkitError
    from snnkit.hookspecs import hookimpl
    from snnkit.learning import LearningRule
    from snnkit.losses import Loss
    from snnkit.monitors import Monitor
    from snnkit.network import Network, NetworkState
    from snnkit.neurons import NeuronGroup
    from snnkit.nirio import from_nir, to_nir
    from snnkit.ops import any_nonzero
    from snnkit.pipelines import Pipeline
    from snnkit.plots import plot
    from snnkit.plugins import PluginManager, get_plugin_manager
    from snnkit.registry import Component, Registry
    from snnkit.surrogates import Surrogate, spike, to_spikes
    from snnkit.sweeps import sweep


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:  # a submodule (``snnkit.recording``) reached as an attribute
        if name.startswith("_") or importlib.util.find_spec(f"snnkit.{name}") is None:
            raise AttributeError(f"module 'snnkit' has no attribute {name!r}")
        return importlib.import_module(f"snnkit.{name}")
    value = getattr(importlib.import_module(f"snnkit.{module}"), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


try:
    __version__ = version("snnkit-core")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "ActionFunction",
    "Activity",
    "Component",
    "Connection",
    "Context",
    "Encoder",
    "Environment",
    "LearningRule",
    "Loss",
    "Monitor",
    "Network",
    "NetworkState",
    "NeuronGroup",
    "NoState",
    "Pipeline",
    "PluginManager",
    "RateEncoder",
    "Registry",
    "SnnkitError",
    "Surrogate",
    "Transition",
    "any_nonzero",
    "from_nir",
    "get_plugin_manager",
    "hookimpl",
    "plot",
    "spike",
    "sweep",
    "to_nir",
    "to_spikes",
]
