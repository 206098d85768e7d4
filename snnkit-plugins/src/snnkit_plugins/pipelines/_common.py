"""Pieces shared by the built-in data pipelines (not a plugin module)."""

from __future__ import annotations

import math
from typing import Any

from snnkit import Network
from snnkit.errors import SnnkitError


def check_samples_fit(dataset: Any, network: Network, layer: str, encoder: Any) -> None:
    """Refuse, before anything runs, a dataset whose samples do not have as many values as the
    input ``layer`` has neurons (per frame, for an encoder that takes frames)."""
    if len(dataset) == 0:
        raise SnnkitError("the dataset is empty")
    sample = dataset[0][0]
    shape = tuple(sample.shape)
    values = math.prod(shape[1:]) if getattr(encoder, "takes_frames", False) and shape else math.prod(shape)
    neurons = network.layers[layer].size
    if values != neurons:
        per = " per frame" if getattr(encoder, "takes_frames", False) else ""
        raise SnnkitError(
            f"the dataset's samples have shape {shape} ({values} values{per}), and the input layer {layer!r} has "
            f"{neurons} neurons: give the layer shape {list(shape[1:] if per else shape)} (or one of {values} neurons)"
        )
