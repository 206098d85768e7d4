"""ANN-to-SNN conversion: a trained ``torch.nn.Sequential`` as a network of integrate-and-fire neurons.

The method is rate coding with data-based weight normalisation (Diehl et al. 2015, "Fast-classifying,
high-accuracy spiking deep networks through weight and threshold balancing", IJCNN; Rueckauer et
al. 2017, "Conversion of continuous-valued deep networks to efficient event-driven networks for
image classification", Front. Neurosci. 11:682): every ReLU unit becomes an ``if`` neuron that
resets by subtraction, with threshold 1, whose firing rate (spikes per step) approximates the
unit's activation divided by its layer's normalisation factor ``lambda``; weights become
``W * lambda_prev / lambda`` and biases ``b / lambda`` (a constant current each step). The input is
a constant current (the pixel values, Rueckauer's analog input), so ``lambda_input = 1``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from snnkit import Network
from snnkit.errors import SnnkitError
from snnkit.plugins import PluginManager

#: What converts, as the error for anything else lists it.
SUPPORTED = (
    "Linear",
    "Conv2d",
    "ReLU",
    "AvgPool2d",
    "MaxPool2d",
    "Flatten",
    "BatchNorm1d and BatchNorm2d (folded into the Linear or Conv2d before them)",
    "Dropout and Identity (ignored)",
    "Softmax and LogSoftmax as the last layer (ignored: the prediction is the largest output)",
)
#: The neurons every converted layer is made of (threshold 1 mV, so weights are in thresholds).
NEURON = {"v_thresh": 1.0, "v_reset": 0.0, "refractory": 0.0, "reset": "subtract"}
#: The name of the converted network's input layer (a ``real-input`` layer fed a constant current).
INPUT = "input"


class ConversionError(SnnkitError, ValueError):
    """A model, or one of its layers, that cannot be converted: which layer (its index in the
    ``nn.Sequential`` and its type) and why."""

    def __init__(self, index: int | None, layer: str | None, reason: str, *, listing: bool = False) -> None:
        self.index, self.layer, self.reason = index, layer, reason
        where = f"layer {index} ({layer})" if index is not None else (layer or "the model")
        message = f"cannot convert {where}: {reason}"
        if listing:
            message += f". Convertible layers: {'; '.join(SUPPORTED)}"
        super().__init__(message)


@dataclass
class Stage:
    """One layer of the spiking network: a weighted layer (with what was folded into it) or a pooling."""

    kind: str  # "fc", "conv", "avgpool" or "maxpool"
    index: int  # the module's index in the nn.Sequential
    module: nn.Module
    weight: Tensor | None = None  # float64, BatchNorm folded in
    bias: Tensor | None = None
    rectified: bool = False  # a ReLU follows (possibly after a max pooling, with which it commutes)
    flatten: bool = False  # an nn.Flatten comes before it
    folded: list[int] = field(default_factory=list)  # indices of the BatchNorm layers folded in

    @property
    def name(self) -> str:
        """Its layer's name in the network: kind and index, e.g. ``conv0``, ``fc6``."""
        return f"{self.kind}{self.index}"

    @property
    def weighted(self) -> bool:
        return self.kind in ("fc", "conv")

    def forward(self, x: Tensor) -> Tensor:
        """The stage's function in float64 (the ANN's, with BatchNorm folded in)."""
        m = self.module
        if self.flatten:
            x = x.flatten(1)
        if self.kind == "fc":
            if x.dim() != 2:
                raise ConversionError(
                    self.index,
                    "Linear",
                    f"it receives maps of shape {tuple(x.shape[1:])}; put an nn.Flatten() before it",
                )
            y = F.linear(x, self.weight, self.bias)
        elif self.kind == "conv":
            y = F.conv2d(x, self.weight, self.bias, stride=m.stride, padding=_padding(m))
        elif self.kind == "avgpool":
            y = F.avg_pool2d(
                x, m.kernel_size, m.stride or m.kernel_size, m.padding, divisor_override=m.divisor_override
            )
        else:
            y = F.max_pool2d(x, m.kernel_size, m.stride or m.kernel_size, m.padding)
        return torch.relu(y) if self.rectified else y


def _padding(conv: nn.Conv2d) -> tuple[int, int]:
    if conv.padding == "valid":
        return (0, 0)
    if conv.padding == "same":
        return tuple((k - 1) // 2 for k in conv.kernel_size)  # type: ignore[return-value]
    return tuple(conv.padding)  # type: ignore[return-value]


def fold_batchnorm(weight: Tensor, bias: Tensor | None, bn: nn.modules.batchnorm._BatchNorm) -> tuple[Tensor, Tensor]:
    """``W`` and ``b`` of a Linear or Conv2d followed by ``bn`` (in evaluation mode) as one layer, in float64:
    ``BN(Wx + b) = gamma (Wx + b - mean) / sqrt(var + eps) + beta = W'x + b'``.

    >>> fc, bn = nn.Linear(2, 2), nn.BatchNorm1d(2).eval()
    >>> w, b = fold_batchnorm(fc.weight, fc.bias, bn)
    >>> torch.allclose(F.linear(torch.ones(1, 2, dtype=torch.float64), w, b), bn(fc(torch.ones(1, 2))).double())
    True
    """
    out = weight.shape[0]
    mean = bn.running_mean.detach().double()  # type: ignore[union-attr]
    var = bn.running_var.detach().double()  # type: ignore[union-attr]
    gamma = bn.weight.detach().double() if bn.weight is not None else torch.ones(out, dtype=torch.float64)
    beta = bn.bias.detach().double() if bn.bias is not None else torch.zeros(out, dtype=torch.float64)
    scale = gamma / torch.sqrt(var + bn.eps)
    b = bias.detach().double() if bias is not None else torch.zeros(out, dtype=torch.float64)
    w = weight.detach().double() * scale.reshape(-1, *([1] * (weight.dim() - 1)))
    return w, (b - mean) * scale + beta


def stages(model: nn.Module) -> list[Stage]:
    """The spiking layers ``model`` becomes, checked layer by layer (:class:`ConversionError` names
    the first that cannot be converted)."""
    if not isinstance(model, nn.Sequential):
        raise ConversionError(
            None,
            type(model).__name__,
            "ann_to_snn converts a torch.nn.Sequential; write the model as one (nn.Sequential(*layers))",
        )
    modules = list(model)
    out: list[Stage] = []
    pending: Stage | None = None  # a weighted stage whose ReLU has not come yet
    flatten = False
    last = max((i for i, m in enumerate(modules) if not _ignored(m)), default=-1)
    for index, m in enumerate(modules):
        name = type(m).__name__
        if isinstance(m, nn.Dropout | nn.Dropout1d | nn.Dropout2d | nn.AlphaDropout | nn.Identity):
            continue
        if isinstance(m, nn.Softmax | nn.LogSoftmax):
            if index != last:
                raise ConversionError(index, name, "a softmax converts only as the last layer (where it is ignored)")
            continue
        if isinstance(m, nn.Linear | nn.Conv2d):
            if pending is not None:
                raise _no_relu(pending, index, name)
            stage = Stage("fc" if isinstance(m, nn.Linear) else "conv", index, m, flatten=flatten)
            stage.weight = m.weight.detach().double()
            stage.bias = None if m.bias is None else m.bias.detach().double()
            if isinstance(m, nn.Conv2d):
                _check_conv(m, index)
            out.append(stage)
            pending, flatten = stage, False
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            before = out[-1] if out else None
            wanted = nn.Linear if isinstance(m, nn.BatchNorm1d) else nn.Conv2d
            if before is None or before is not pending or not isinstance(before.module, wanted) or flatten:
                raise ConversionError(
                    index,
                    name,
                    f"it is folded into the {wanted.__name__} directly before it, and there is none"
                    " (put the BatchNorm right after its Linear or Conv2d, before the ReLU)",
                )
            if m.running_mean is None or m.running_var is None:
                raise ConversionError(index, name, "it keeps no running statistics (track_running_stats=False)")
            before.weight, before.bias = fold_batchnorm(before.weight, before.bias, m)  # type: ignore[arg-type]
            before.folded.append(index)
        elif isinstance(m, nn.ReLU):
            if pending is not None:
                pending.rectified, pending = True, None
            elif not out:
                raise ConversionError(
                    index, name, "a ReLU on the input has no spiking equivalent (the input is a current)"
                )
            # else: a ReLU after a pooling of rectified values changes nothing
        elif isinstance(m, nn.AvgPool2d):
            if pending is not None:
                raise ConversionError(
                    index,
                    name,
                    f"it averages the output of {type(pending.module).__name__} {pending.index} before its ReLU,"
                    " which spikes cannot carry; put the ReLU before the pooling",
                )
            if m.ceil_mode or (not m.count_include_pad and _any(m.padding)):
                raise ConversionError(index, name, "ceil_mode=True and count_include_pad=False do not convert")
            out.append(Stage("avgpool", index, m, flatten=flatten))
            flatten = False
        elif isinstance(m, nn.MaxPool2d):
            if m.ceil_mode or m.return_indices or _any(m.dilation, 1):
                raise ConversionError(index, name, "ceil_mode, return_indices and dilation do not convert")
            out.append(Stage("maxpool", index, m, flatten=flatten))  # commutes with a ReLU still to come
            flatten = False
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise ConversionError(index, name, "only nn.Flatten() of every dimension but the batch converts")
            flatten = True
        else:
            raise ConversionError(index, name, "it has no integrate-and-fire equivalent", listing=True)
    if not any(s.weighted for s in out):
        raise ConversionError(None, "the model", "it has no Linear or Conv2d layer")
    if pending is not None and out[-1] is not pending:
        raise ConversionError(
            out[-1].index,
            type(out[-1].module).__name__,
            f"it pools the output of {type(pending.module).__name__} {pending.index}, which no ReLU rectifies",
        )
    return out


def _ignored(m: nn.Module) -> bool:
    return isinstance(m, nn.Dropout | nn.Dropout1d | nn.Dropout2d | nn.AlphaDropout | nn.Identity)


def _any(value: Any, than: int = 0) -> bool:
    return any(v > than for v in (value if isinstance(value, tuple | list) else (value,)))


def _no_relu(stage: Stage, index: int, name: str) -> ConversionError:
    return ConversionError(
        stage.index,
        type(stage.module).__name__,
        f"it is followed by {name} {index} without a ReLU between them; integrate-and-fire neurons carry"
        " only non-negative values, so every Linear or Conv2d but the last needs a ReLU",
    )


def _check_conv(m: nn.Conv2d, index: int) -> None:
    problems = []
    if m.groups != 1:
        problems.append(f"groups={m.groups}")
    if _any(m.dilation, 1):
        problems.append(f"dilation={m.dilation}")
    if m.padding_mode != "zeros":
        problems.append(f"padding_mode={m.padding_mode!r}")
    if m.padding == "same" and (_any(m.stride, 1) or any(k % 2 == 0 for k in m.kernel_size)):
        problems.append("padding='same' with an even kernel or a stride")
    if problems:
        raise ConversionError(
            index, "Conv2d", f"{', '.join(problems)} do not convert (snnkit's conv2d has groups=1, dilation=1, zeros)"
        )


def batches(data: Tensor | Iterable[Any]) -> Iterable[Tensor]:
    """The input batches of ``data``: a tensor ``[N, *shape]``, or an iterable of tensors or of
    ``(inputs, labels)`` pairs (a ``DataLoader``)."""
    if isinstance(data, Tensor):
        yield data
        return
    for item in data:
        yield item[0] if isinstance(item, tuple | list) else item


def _run_stages(layers: Sequence[Stage], x: Tensor) -> list[Tensor]:
    outputs = []
    for stage in layers:
        x = stage.forward(x)
        outputs.append(x)
    return outputs


def normalisation_factors(
    model: nn.Sequential, calibration_data: Tensor | Iterable[Any], percentile: float = 99.9
) -> dict[str, float]:
    """Each converted layer's normalisation factor ``lambda``, by layer name (``conv0``, ``fc6``, ...).

    For a Linear or Conv2d layer: the ``percentile`` (in percent, ``numpy.percentile``'s linear
    interpolation) of its positive activations (after its ReLU, BatchNorm folded in) over
    ``calibration_data``; 100 is Diehl et al.'s maximum, 99.9 Rueckauer et al.'s robust choice,
    which lets the rare largest activations saturate (a neuron spikes at most once per step) in
    exchange for higher rates everywhere else. Zeros are left out, as in Rueckauer's SNN toolbox
    (ReLU layers are mostly zeros). A pooling layer keeps the factor of the layer it pools. A
    layer that is never active on the data gets 1.
    """
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    layers = stages(model)
    positives: list[list[np.ndarray]] = [[] for _ in layers]
    seen = 0
    with torch.no_grad():
        for x in batches(calibration_data):
            seen += len(x)
            for values, y in zip(positives, _run_stages(layers, x.double()), strict=True):
                values.append(y[y > 0].numpy())
    if not seen:
        raise ConversionError(None, "calibration data", "it holds no samples")
    factors: dict[str, float] = {}
    previous = 1.0
    for stage, values in zip(layers, positives, strict=True):
        if stage.weighted:
            found = np.concatenate(values)
            previous = float(np.percentile(found, percentile)) if found.size else 1.0
        factors[stage.name] = previous
    return factors


def _check_against_model(model: nn.Module, layers: Sequence[Stage], x: Tensor) -> None:
    """The stages must compute what the model does (a subclass with its own forward would not)."""
    training = model.training
    model.eval()
    try:
        with torch.no_grad():
            param = next(model.parameters(), None)
            expected = model(x.to(param.dtype if param is not None else torch.float32)).double()
            got = _run_stages(layers, x.double())[-1]
    finally:
        model.train(training)
    final = [m for m in model if not _ignored(m)][-1]
    if isinstance(final, nn.Softmax | nn.LogSoftmax):  # ignored by the conversion, applied here to compare
        got = final(got)
    if expected.shape != got.shape or not torch.allclose(
        expected, got, rtol=1e-3, atol=1e-4 * max(1.0, float(got.abs().max()))
    ):
        raise ConversionError(
            None,
            type(model).__name__,
            "its layers, converted one by one, do not compute what the model computes (a layer subclass with"
            " its own forward?)",
        )


def ann_to_snn(
    model: nn.Sequential,
    calibration_data: Tensor | Iterable[Any],
    *,
    percentile: float = 99.9,
    dt: float = 1.0,
    seed: int = 0,
    plugins: PluginManager | None = None,
) -> Network:
    """A trained ``nn.Sequential`` as a spiking :class:`~snnkit.Network` of integrate-and-fire neurons.

    Each Linear or Conv2d layer (with a BatchNorm after it folded in, and its ReLU) becomes a
    ``dense`` or ``conv2d`` connection into a layer of ``if`` neurons (threshold 1 mV, reset by
    subtraction to 0, no refractory period) named after the module's kind and index (``conv0``,
    ``fc6``); an AvgPool2d becomes a ``conv2d`` connection that averages each map (kernel
    ``1/k**2``) into ``avgpool<i>``; a MaxPool2d a ``maxpool2d`` connection (each window passes
    the spikes of its neuron with the most spikes so far: ``tau_rate = inf``, Rueckauer's
    gating by online rates) into ``maxpool<i>``; Flatten and Dropout vanish. Weights and biases
    are normalised layer by layer by :func:`normalisation_factors` (Diehl et al. 2015;
    Rueckauer et al. 2017): ``W * lambda_prev / lambda`` and ``b / lambda``. A neuron's rate in
    spikes per step then approximates ``activation / lambda``, capped at 1.

    The network has ``zero_delay=True`` (a step crosses every layer) and ``input_layer =
    "input"``, a ``real-input`` layer of the model's input shape: run it with the input as a
    constant current, ``net.run(None, time=T, constant={"input": x})``. Its ``output_layer`` is the
    last layer; :func:`~snnkit_plugins.conversion.classify` reads it.

    Args:
        model: the trained network (its own mode is left as it was; BatchNorm uses its running
            statistics).
        calibration_data: inputs ``[N, *input shape]`` as the model takes them (a tensor, or an
            iterable that can be read twice, of tensors or ``(inputs, labels)`` batches, such as a
            ``DataLoader``); a few hundred to a thousand
            training samples set the normalisation. The first batch also checks that the
            conversion computes what the model does.
        percentile: of each layer's positive activations, in percent: 99.9 (Rueckauer et al.'s
            default); 100 for Diehl et al.'s maximum.
        dt: the network's time step (ms); the dynamics count steps, so it only labels time.
        seed: the network's seed (nothing in it is random).
        plugins: where ``if``, ``dense``, ... are found (default: the process-wide plugins).

    Raises:
        ConversionError: a layer that does not convert, named by index and type, with the list of
            those that do; or a model that is not an ``nn.Sequential``.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> net = ann_to_snn(model, torch.rand(100, 4))
    >>> list(net.layers), net.output_layer
    (['input', 'fc0', 'fc2'], 'fc2')
    """
    layers = stages(model)
    first = next(iter(batches(calibration_data)), None)
    if first is None or len(first) == 0:
        raise ConversionError(None, "calibration data", "it holds no samples")
    _check_against_model(model, layers, first)
    factors = normalisation_factors(model, calibration_data, percentile)
    net = Network(dt=dt, seed=seed, plugins=plugins, zero_delay=True)
    shape = tuple(first.shape[1:])
    net.add_layer(INPUT, "real-input", shape)
    source, previous = INPUT, 1.0
    with torch.no_grad():
        x = torch.zeros(1, *shape, dtype=torch.float64)
        for stage in layers:
            x = stage.forward(x)
            target, scale = stage.name, factors[stage.name]
            net.add_layer(target, "if", tuple(x.shape[1:]), **NEURON)
            m = stage.module
            if stage.weighted:
                assert stage.weight is not None
                weight = (stage.weight * (previous / scale)).float()
                bias = None if stage.bias is None else (stage.bias / scale).float()
                if stage.kind == "fc":
                    net.add_connection(source, target, "dense", weight=weight.T.contiguous(), bias=bias)
                else:
                    net.add_connection(
                        source,
                        target,
                        "conv2d",
                        weight=weight,
                        bias=bias,
                        kernel_size=tuple(m.kernel_size),
                        stride=tuple(m.stride),
                        padding=_padding(m),
                    )
            else:
                kernel = _pair(m.kernel_size)
                stride = _pair(m.stride or m.kernel_size)
                padding = _pair(m.padding)
                if stage.kind == "avgpool":
                    channels = net.layers[source].shape[0]
                    divisor = m.divisor_override or kernel[0] * kernel[1]
                    kernel_weight = torch.eye(channels)[:, :, None, None] * torch.full(kernel, 1.0 / divisor)
                    net.add_connection(
                        source,
                        target,
                        "conv2d",
                        weight=kernel_weight,
                        kernel_size=kernel,
                        stride=stride,
                        padding=padding,
                    )
                else:
                    net.add_connection(
                        source,
                        target,
                        "maxpool2d",
                        kernel_size=kernel,
                        stride=stride,
                        padding=padding,
                        weight=1.0,
                        tau_rate=math.inf,
                    )
            source, previous = target, scale
    net.input_layer, net.output_layer = INPUT, source
    return net


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
