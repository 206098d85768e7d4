"""The ``events`` encoder: frames of event counts (event cameras, spiking audio) as spikes, one bin per step."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from snnkit import Encoder, hookimpl


class Events(Encoder):
    """Frames of event counts (event cameras, spiking audio) as input spikes, one time bin per step.

    The data already are spikes, binned in time, so nothing is drawn at random.
    ``data`` is ``[batch, frames, *shape]``: event counts per time bin of ``bin_width`` ms (what the
    ``nmnist``, ``dvs-gesture``, ``shd``, ``ssc`` and ``tonic`` datasets give, e.g. ``[frames, 2,
    34, 34]`` polarity x height x width for N-MNIST, ``[frames, 700]`` channels for SHD). Step
    ``t`` of ``dt`` ms covers ``[t dt, (t + 1) dt)``: with ``dt == bin_width`` it is frame ``t``;
    with ``dt`` a whole multiple ``k`` of ``bin_width`` it sums frames ``t k`` to ``t k + k - 1``.
    Any other ``dt`` is refused (bin the data at ``dt``: give the dataset ``bin_width = dt``).
    Steps after the last frame are silent; frames after the last step are not shown.

    The result is ``[time, batch, *shape]``: a spike (True) where a step holds at least one event
    (``input`` layers take spikes), or the counts themselves as floats with ``counts`` (a current for
    ``real-input`` or ``lif`` layers).

    The pipelines know this encoder takes sequences (``takes_frames``): they reshape a batch to
    ``[batch, frames, *input layer shape]``, so a flat input layer (``2 * 34 * 34 = 2312``
    neurons) or one shaped as the frames (``[2, 34, 34]``) both work.

    Args:
        bin_width: width of the data's time bins in ms, 1.0 (the dataset's ``bin_width``).
        counts: give the event counts as floats (else 0/1 spikes), False.

    >>> import torch
    >>> frames = torch.tensor([[[2.0], [0.0], [1.0], [0.0]]])  # one sample, 4 bins of 1 ms, 1 channel
    >>> Events()(frames, 5)[:, 0, 0].int().tolist()  # the fifth step is after the last bin
    [1, 0, 1, 0, 0]
    >>> Events(counts=True)(frames, 2, dt=2.0)[:, 0, 0].tolist()  # 2 ms steps: two bins each
    [2.0, 1.0]
    """

    takes_frames = True

    def __init__(self, bin_width: float = 1.0, counts: bool = False) -> None:
        if not bin_width > 0:
            raise ValueError(f"bin_width must be a positive time in ms, got {bin_width}")
        self.bin_width, self.counts = bin_width, counts

    def __call__(self, data: Tensor, time: int, *, dt: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        if data.dim() < 2:
            raise ValueError(f"events encoder: data must be [batch, frames, ...], got shape {tuple(data.shape)}")
        ratio = dt / self.bin_width
        k = round(ratio)
        if k < 1 or not math.isclose(ratio, k, rel_tol=1e-9):
            raise ValueError(
                f"events encoder: dt ({dt} ms) must be a whole multiple of the data's bin_width ({self.bin_width} ms);"
                f" bin the data at dt (the dataset's bin_width = {dt}) and set the encoder's bin_width to match"
            )
        frames = data.transpose(0, 1)  # [frames, batch, ...]
        needed = time * k
        if frames.shape[0] < needed:
            pad = frames.new_zeros((needed - frames.shape[0], *frames.shape[1:]))
            frames = torch.cat((frames, pad))
        frames = frames[:needed].reshape(time, k, *frames.shape[1:]).sum(1)
        if self.counts:
            return frames.to(torch.get_default_dtype() if not data.is_floating_point() else data.dtype)
        return frames > 0


@hookimpl
def snnkit_register_encoders(registry):
    registry.add("events", Events)
