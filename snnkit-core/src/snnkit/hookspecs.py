"""pluggy hook specifications: one ``snnkit_register_<kind>(registry)`` hook per component kind.

A plugin module implements the hooks it needs and adds components to the registry it is handed::

    from snnkit import hookimpl

    @hookimpl
    def snnkit_register_neurons(registry):
        registry.add("resonate-and-fire", ResonateAndFire)

Hooks run once, when a registry is first resolved, never inside the simulation loop. Arguments may
be added to a hook in later versions but are never renamed, so implementations keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from snnkit.registry import Registry

hookspec = pluggy.HookspecMarker("snnkit")
hookimpl = pluggy.HookimplMarker("snnkit")


@hookspec
def snnkit_register_neurons(registry: Registry[Any]) -> None:
    """Add neuron models (``NeuronGroup`` subclasses)."""


@hookspec
def snnkit_register_connections(registry: Registry[Any]) -> None:
    """Add connection types (``Connection`` subclasses)."""


@hookspec
def snnkit_register_learning_rules(registry: Registry[Any]) -> None:
    """Add learning rules (``LearningRule`` subclasses)."""


@hookspec
def snnkit_register_encoders(registry: Registry[Any]) -> None:
    """Add encoders that turn tensors into spike trains (``Encoder`` subclasses)."""


@hookspec
def snnkit_register_datasets(registry: Registry[Any]) -> None:
    """Add datasets: callables returning a ``torch.utils.data.Dataset`` of ``(data, label)``."""


@hookspec
def snnkit_register_environments(registry: Registry[Any]) -> None:
    """Add environments for closed-loop runs (``Environment`` implementations)."""


@hookspec
def snnkit_register_actions(registry: Registry[Any]) -> None:
    """Add action functions that turn output spikes into actions."""


@hookspec
def snnkit_register_monitors(registry: Registry[Any]) -> None:
    """Add monitors that record state variables (``Monitor`` subclasses)."""


@hookspec
def snnkit_register_recorders(registry: Registry[Any]) -> None:
    """Add recorders that write a run to storage (``Recorder`` implementations)."""


@hookspec
def snnkit_register_plots(registry: Registry[Any]) -> None:
    """Add plots of recorded data (``Plot`` callables)."""


@hookspec
def snnkit_register_models(registry: Registry[Any]) -> None:
    """Add models: callables that build a ready ``Network`` from parameters."""


@hookspec
def snnkit_register_evaluations(registry: Registry[Any]) -> None:
    """Add evaluations that score a network's activity (``Evaluation`` callables)."""


@hookspec
def snnkit_register_pipelines(registry: Registry[Any]) -> None:
    """Add pipelines that drive a whole run (``Pipeline`` subclasses)."""


@hookspec
def snnkit_register_experiments(registry: Registry[Any]) -> None:
    """Add named, ready-to-run experiment files (a ``pathlib.Path`` to TOML)."""


@hookspec
def snnkit_register_surrogates(registry: Registry[Any]) -> None:
    """Add surrogate gradients for the spike's step function (``Surrogate`` subclasses)."""


@hookspec
def snnkit_register_losses(registry: Registry[Any]) -> None:
    """Add losses for gradient training (``Loss`` subclasses)."""


@hookspec
def snnkit_register_commands(cli: Any) -> None:
    """Add commands to the ``snnkit`` command line; ``cli`` is its ``click.Group``.

    Declared here rather than in ``snnkit_cli`` so that a plugin offering a command passes the core's
    check for misspelt hooks even where the CLI is not installed; the core never imports click.
    """


@hookspec
def snnkit_register_nir(registry: Any) -> None:
    """Add mappings to and from NIR (the Neuromorphic Intermediate Representation) on ``registry``,
    a :class:`snnkit.nirio.NIRRegistry`: ``registry.exporter(ComponentClass, export)`` and
    ``registry.importer("LIF", import_lif)``. See ``docs/nir.md``."""
