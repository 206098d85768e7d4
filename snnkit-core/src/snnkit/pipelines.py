"""The pipeline interface: what a run does, one unit (sample, batch, episode) at a time."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

if TYPE_CHECKING:
    from snnkit.encoders import Encoder
    from snnkit.environments import ActionFunction, Environment
    from snnkit.network import Network
    from snnkit.recorders import Recorder


@dataclass
class RunContext:
    """What a pipeline step may use: the run's settings, encoder, data source and generator."""

    time: int  # simulation steps per unit
    dt: float  # ms
    batch_size: int
    samples: int  # the run's [run] samples: units of pipelines that do not define their own
    generator: torch.Generator
    encoder: Encoder | None = None
    dataset: Any = None
    environment: Environment | None = None
    action: ActionFunction | None = None
    #: builds the experiment's data set for a split: ``load_dataset(train=False)`` gives the test set
    load_dataset: Callable[..., Any] | None = None
    #: where the run is recorded; pipelines may store arrays of their own (``record_array``)
    recorder: Recorder | None = None


class Pipeline(ABC):
    """Drives a run in units (samples, batches, episodes); the runner around it records, checkpoints
    and stops cleanly between units.

    ``unit`` names what one unit is, in the plural, for progress displays.

    A pipeline keeps its progress-dependent state in :meth:`state_dict` (tensors and numbers) so
    that a run resumed from a checkpoint continues exactly.

    A pipeline that classifies may also define ``prepare_classify(network, context)`` (get ready
    from the state its last checkpoint restored, e.g. fit its readouts) and
    ``classify(network, data, context) -> {readout: classes}`` (one class per sample of a batch,
    ``-1`` where there is no basis for one); ``snnkit predict`` (:mod:`snnkit.predict`) then
    classifies new data with its recorded runs. The ``dataset`` pipeline does.
    """

    unit = "samples"
    #: The ``[pipeline]`` parameter that says how much a run does, for a pipeline that counts its
    #: own units (``"train_samples"``, ``"episodes"``); ``None``: it runs ``[run] samples`` units,
    #: and an experiment that sets ``[run] samples`` for the others is refused, not ignored.
    length_key: str | None = None
    #: Whether the pipeline runs data-parallel in a ``torch.distributed`` group (``torchrun``,
    #: ``snnkit run --nproc``), each process on its share of the data (see :mod:`snnkit.distributed`);
    #: the runner refuses to run any other in more than one process.
    distributed: bool = False

    def prepare(self, network: Network, context: RunContext) -> None:  # noqa: B027 - optional hook
        """Called once before the first unit (e.g. to add the monitors the pipeline reads)."""

    def units(self, context: RunContext) -> int:
        """Number of units in the whole run; ``[run] samples`` unless the pipeline knows better."""
        return context.samples

    @abstractmethod
    def step(self, network: Network, index: int, context: RunContext) -> Mapping[str, float]:
        """Run unit ``index`` on ``network`` and return its metrics by name."""

    def state_dict(self) -> dict[str, Tensor]:
        """Progress-dependent state to checkpoint (none by default)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:  # noqa: B027 - optional hook
        """Restore what :meth:`state_dict` returned."""
