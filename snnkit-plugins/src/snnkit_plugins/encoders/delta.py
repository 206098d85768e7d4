"""The ``delta`` encoder: a spike where the input changed by more than a threshold."""

from __future__ import annotations

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class Delta(Encoder):
    """Delta modulation of a stream: a spike when the input has risen (on channel) or fallen (off
    channel) by at least ``threshold`` since that neuron's last spike, as event cameras and
    delta-modulated sensors do.

    ``data`` is ``[batch, frames, *features]``: a sequence of frames, stretched over the
    ``time`` steps (frame ``floor(step * frames / time)`` at each step). Each feature keeps a
    reference level, starting at the first frame; a step whose frame differs from the reference by
    ``threshold`` or more spikes and sets the reference to that frame. Spikes are ``[time, batch,
    2, *features]`` (on, off) with ``off_spikes``, else ``[time, batch, *features]`` (rises only).

    Args:
        threshold: change that makes a spike, in the data's units, 0.1.
        off_spikes: give falls their own channel, True.

    >>> import torch
    >>> stream = torch.tensor([[[0.0], [0.5], [0.5], [0.1]]])  # one sample, 4 frames, 1 feature
    >>> Delta(threshold=0.3)(stream, 4)[:, 0, :, 0].int().tolist()  # [on, off] per step
    [[0, 0], [1, 0], [0, 0], [0, 1]]
    """

    def __init__(self, threshold: float = 0.1, off_spikes: bool = True) -> None:
        if not threshold > 0:
            raise ValueError(f"threshold must be a positive change, got {threshold}")
        self.threshold, self.off_spikes = threshold, off_spikes

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        if data.dim() < 2:
            raise ValueError(f"delta encoder: data must be [batch, frames, ...], got shape {tuple(data.shape)}")
        frames = data.float().transpose(0, 1)  # [frames, batch, ...]
        index = (torch.arange(time) * frames.shape[0]) // time
        reference = frames[0].clone()
        on = torch.zeros((time, *frames.shape[1:]), dtype=torch.bool, device=data.device)
        off = torch.zeros_like(on)
        for step in range(time):
            x = frames[index[step]]
            on[step] = x - reference >= self.threshold
            off[step] = reference - x >= self.threshold
            reference = torch.where(on[step] | off[step], x, reference)
        return torch.stack((on, off), dim=2) if self.off_spikes else on


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("delta", Delta)
