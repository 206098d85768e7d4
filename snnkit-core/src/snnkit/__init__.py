"""snnkit: spiking neural networks on PyTorch, extended through plugins.

The core holds the interfaces, the :class:`Network` that runs them and the plugin manager; every
concrete model comes from a plugin found through the ``snnkit`` entry-point group.
"""

from importlib.metadata import PackageNotFoundError, version

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
    "to_nir",
    "to_spikes",
]
