"""The ``gradient`` pipeline: train a spiking network by back-propagation through time with
surrogate gradients, in mini-batches, and test it after every epoch."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from snnkit import Loss, Monitor, Network, Pipeline, distributed, hookimpl
from snnkit.distributed import DistributedError
from snnkit.errors import SnnkitError, closest
from snnkit.pipelines import RunContext
from snnkit_plugins.pipelines._common import check_samples_fit


class _Record(Monitor):
    """Keeps what a layer did this sample, as the network hands it over (with its autograd graph)."""

    def __init__(self, target: str, variables: tuple[str, ...]) -> None:
        super().__init__(target, variables)
        self.steps: dict[str, list[Tensor]] = {v: [] for v in variables}

    def record(self, values: Mapping[str, Tensor]) -> None:
        self.record_steps({k: v[None] for k, v in values.items()})

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        for name, value in values.items():
            self.steps[name].append(value.reshape(value.shape[0], value.shape[1], -1))

    def take(self) -> dict[str, Tensor]:
        """Everything since the last call, ``[time, batch, n]`` floats; then forgets it."""
        out = {k: torch.cat(v).to(torch.get_default_dtype()) for k, v in self.steps.items()}
        self.reset()
        return out

    def reset(self) -> None:
        self.steps = {v: [] for v in self.variables}


class _Rate(Monitor):
    """Counts a layer's spikes (no graph kept), for its mean rate."""

    def __init__(self, target: str) -> None:
        super().__init__(target, ("s",))
        self.spikes, self.slots = 0.0, 0

    def record(self, values: Mapping[str, Tensor]) -> None:
        self.record_steps({"s": values["s"][None]})

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        s = values["s"].detach()
        self.spikes += float(s.sum())
        self.slots += s.numel()

    def take(self) -> float:
        """Spikes per neuron per step since the last call."""
        rate = self.spikes / max(self.slots, 1)
        self.spikes, self.slots = 0.0, 0
        return rate


def _torch_class(module: Any, base: type, name: str, what: str) -> Any:
    """A class of ``module`` derived from ``base`` by case-insensitive name (``"adam"`` -> ``Adam``)."""
    known = {
        n.lower(): c
        for n, c in vars(module).items()
        if isinstance(c, type) and issubclass(c, base) and c is not base and not n.startswith("_")
    }
    if name.lower() not in known:
        match = closest(name.lower(), list(known))
        hint = f"; did you mean {match[0]!r}?" if match else "."
        raise SnnkitError(f"unknown {what} {name!r}{hint} Known: {', '.join(sorted(known))} (torch's own).")
    return known[name.lower()]


def _to_bytes(state: Any) -> Tensor:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)


def _from_bytes(data: Tensor) -> Any:
    return torch.load(io.BytesIO(data.to(torch.uint8).numpy().tobytes()), weights_only=True)


class GradientPipeline(Pipeline):
    """Train by back-propagation through time with surrogate gradients, testing after every epoch.

    Units are mini-batches of ``[run] batch_size`` samples. Each epoch takes ``train_samples``
    training samples in an order drawn from the run's seed and the epoch, in whole batches (the
    remainder, fewer than a batch, is left out, as torch's ``drop_last``), then all
    ``test_samples`` test samples. A sample is presented for ``[run] time`` steps, from rest:
    encoded by the ``[encoder]`` (``poisson`` for rate-coded spikes; ``events`` for event data,
    whose samples are sequences of frames, each reshaped to the input layer), or, without an encoder, its
    values as a constant current into the input layer (a ``real-input`` layer: direct input, as in
    snnTorch's tutorials; the first layer's product is then computed once per sample). The output
    layer is scored by ``loss`` and the optimiser takes one step per batch. The network's
    learnable tensors are trained: ``dense`` and ``conv1d``/``conv2d``/``conv3d`` connections with
    ``learnable = true``, neuron parameters named in a layer's ``learnable``. Every spiking layer
    needs a surrogate gradient (``surrogate = "atan"`` in its table). Local learning rules do not run.

    Metrics of a training batch: ``loss``, ``accuracy`` (of the batch), ``rate.<layer>`` (mean
    rate of every spiking layer, Hz). After each epoch's test: ``test_loss`` and ``test_accuracy``.

    Data-parallel (``torchrun --nproc-per-node N -m snnkit_cli run ...`` or ``snnkit run --nproc
    N``): ``batch_size`` stays the whole batch; each of the N processes takes its share of every
    batch (``tensor_split`` of the batch's samples, as torch's ``DistributedSampler`` splits
    them), back-propagates its share's loss, and the processes average their gradients, each
    weighted by its share of the batch, before every optimiser step: the same step as one process
    with the whole batch, to float rounding. The metrics cover the whole batch; rank 0 records
    them. Each process draws its own random numbers (encoders, stochastic neurons) from the run's
    seed and its rank.

    Args:
        epochs: passes over the training samples, 1.
        train_samples: training samples per epoch; ``None``: the whole training set.
        test_samples: test samples after each epoch; ``None``: the whole test set, 0: none.
        loss: a loss plugin name (``snnkit plugins --kind losses``), ``"rate-cross-entropy"``.
        loss_params: the loss's parameters, e.g. ``{correct_rate = 0.8}``.
        optimizer: a ``torch.optim`` optimiser by name, ``"adam"``.
        lr: learning rate, 5e-4.
        optimizer_params: further arguments of the optimiser, e.g. ``{betas = [0.9, 0.999]}``.
        scheduler: a ``torch.optim.lr_scheduler`` class by name, stepped once per epoch, or ``None``.
        scheduler_params: its arguments, e.g. ``{T_max = 5}`` for ``"cosineannealinglr"``.
        tbptt: truncated back-propagation through time: the loss is taken on each window of this
            many steps and the graph cut between windows (memory grows with ``tbptt``, not
            ``time``); the gradients of a batch's windows add up to one optimiser step.
            ``None``: the whole sample at once.
        input_layer: layer fed with the data; ``None`` takes the network's ``input_layer`` (a model
            names it), else the layer ``"input"``.
        output_layer: layer scored, one neuron per class; ``None`` takes the network's
            ``output_layer``, else the layer ``"output"``.

    >>> GradientPipeline(epochs=5, lr=1e-3).unit
    'batches'
    >>> GradientPipeline(lr=0.0)
    Traceback (most recent call last):
    ValueError: lr must be a positive learning rate, got 0.0
    """

    unit = "batches"
    length_key = "train_samples"
    #: runs in a torch.distributed process group, one share of every batch per process
    distributed = True

    def __init__(
        self,
        *,
        epochs: int = 1,
        train_samples: int | None = None,
        test_samples: int | None = None,
        loss: str = "rate-cross-entropy",
        loss_params: Mapping[str, Any] | None = None,
        optimizer: str = "adam",
        lr: float = 5e-4,
        optimizer_params: Mapping[str, Any] | None = None,
        scheduler: str | None = None,
        scheduler_params: Mapping[str, Any] | None = None,
        tbptt: int | None = None,
        input_layer: str | None = None,
        output_layer: str | None = None,
    ) -> None:
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        if not lr > 0:
            raise ValueError(f"lr must be a positive learning rate, got {lr}")
        if tbptt is not None and tbptt < 1:
            raise ValueError(f"tbptt must be a positive number of steps (or None), got {tbptt}")
        self.epochs, self.train_samples, self.test_samples = epochs, train_samples, test_samples
        self.loss_name, self.loss_params = loss, dict(loss_params or {})
        self.optimizer_class = _torch_class(torch.optim, torch.optim.Optimizer, optimizer, "optimizer")
        self.lr, self.optimizer_params = lr, dict(optimizer_params or {})
        scheduler_base = torch.optim.lr_scheduler.LRScheduler
        self.scheduler_class = (
            _torch_class(torch.optim.lr_scheduler, scheduler_base, scheduler, "scheduler") if scheduler else None
        )
        self.scheduler_params = dict(scheduler_params or {})
        self.tbptt, self.input_layer, self.output_layer = tbptt, input_layer, output_layer
        self.saved: dict[str, Tensor] = {}
        self.test_totals = torch.zeros(3, dtype=torch.float64)  # loss sum, correct, samples
        self.rank, self.world_size = 0, 1

    # -- setup -----------------------------------------------------------------------------------

    def prepare(self, network: Network, context: RunContext) -> None:
        if context.dataset is None or context.load_dataset is None:
            raise SnnkitError('the gradient pipeline needs a [dataset] table (e.g. plugin = "mnist")')
        self.loss: Loss = network.plugins.build("losses", self.loss_name, **self.loss_params)
        self.input_layer = self.input_layer or network.input_layer or "input"
        self.output_layer = self.output_layer or network.output_layer or "output"
        for role, layer in (("input_layer", self.input_layer), ("output_layer", self.output_layer)):
            if layer not in network.layers:
                raise SnnkitError(
                    f"the gradient pipeline's {role} {layer!r} is not a layer; layers: {', '.join(network.layers)}"
                )
        learnable = network.learnable()
        if not learnable:
            raise SnnkitError(
                "gradient training needs learnable tensors, and this network has none: give connections "
                "learnable = true (dense, conv1d/2d/3d) or layers learnable = [...] (e.g. lif's tau_mem, v_thresh)"
            )
        self.train_set = context.dataset
        self.test_set = context.load_dataset(train=False) if self.test_samples != 0 else None
        check_samples_fit(self.train_set, network, self.input_layer, context.encoder)
        self.n_classes = len(getattr(self.train_set, "classes", [])) or _labels_max(self.train_set) + 1
        outputs = network.layers[self.output_layer].size
        if outputs != self.n_classes:
            raise SnnkitError(
                f"the loss {self.loss_name!r} scores one output neuron per class: layer {self.output_layer!r} has "
                f"{outputs} neurons for {self.n_classes} classes; give it {self.n_classes}"
            )
        self.per_epoch = self.train_samples if self.train_samples is not None else len(self.train_set)
        if self.per_epoch > len(self.train_set):
            raise SnnkitError(
                f"train_samples ({self.per_epoch}) exceeds the training set ({len(self.train_set)} samples)"
            )
        test_size = len(self.test_set) if self.test_set is not None else 0
        self.n_test = min(self.test_samples, test_size) if self.test_samples is not None else test_size
        b = context.batch_size
        # whole batches only, as torch's drop_last: the remainder of an epoch (fewer than a batch,
        # different each epoch as the order changes) is left out, and every step sees one batch size
        self.train_units, self.test_units = max(self.per_epoch // b, 1), -(-self.n_test // b)
        self.seed = context.generator.initial_seed()
        self.network, self.params = network, list(learnable.values())
        self.rank, self.world_size = distributed.world()
        if self.world_size > 1:
            self._join(network, context)
        self.optimizer = self.optimizer_class(list(learnable.values()), lr=self.lr, **self.optimizer_params)
        self.scheduler = self.scheduler_class(self.optimizer, **self.scheduler_params) if self.scheduler_class else None
        if self.saved:  # resumed: the optimiser and scheduler as they were at the checkpoint
            self.optimizer.load_state_dict(_from_bytes(self.saved["optimizer"]))
            if self.scheduler is not None:
                self.scheduler.load_state_dict(_from_bytes(self.saved["scheduler"]))
        self.output = _Record(self.output_layer, self.loss.reads)
        network.add_monitor("gradient.output", self.output)
        self.rates = {name: _Rate(name) for name, layer in network.layers.items() if not layer.emits_real}
        for name, monitor in self.rates.items():
            network.add_monitor(f"gradient.rate.{name}", monitor)

    def units(self, context: RunContext) -> int:
        return self.epochs * (self.train_units + self.test_units)

    def _join(self, network: Network, context: RunContext) -> None:
        """Start as rank 0 does, each rank with its own random numbers; refuse a checkpoint of
        another world size, and batches too small to give every rank a sample."""
        recorded = int(self.saved.get("world_size", torch.tensor(1)))
        if self.saved and recorded != self.world_size:
            raise DistributedError(
                f"the checkpoint was written by {recorded} processes and {self.world_size} resume it:"
                f" resume with {recorded} processes"
            )
        if min(context.batch_size, self.per_epoch) < self.world_size:
            size = min(context.batch_size, self.per_epoch)
            raise DistributedError(
                f"a batch of {size} sample{'s' if size != 1 else ''} cannot be shared among"
                f" {self.world_size} processes: give batch_size at least {self.world_size}, or fewer processes"
            )
        import torch.distributed as dist

        for tensor in self.params:  # as DistributedDataParallel does: every rank starts from rank 0's
            dist.broadcast(tensor.data, src=0)
        if "random" in self.saved:  # resumed: each rank's generators where it left them
            network.load_random_state(_from_bytes(self.saved["random"])[self.rank])
        elif self.rank > 0:  # a stream of its own, so that ranks do not draw the same noise
            context.generator.manual_seed((self.seed + 0x9E3779B97F4A7C15 * self.rank) % 2**63)

    def _share(self, ids: Tensor) -> Tensor:
        """This rank's samples of a batch (all of them in one process)."""
        return torch.tensor_split(ids, self.world_size)[self.rank] if self.world_size > 1 else ids

    def _sum(self, values: list[float]) -> list[float]:
        """``values`` added over the ranks (as they are in one process)."""
        if self.world_size == 1:
            return values
        import torch.distributed as dist

        total = torch.tensor(values, dtype=torch.float64, device=distributed._device())
        dist.all_reduce(total)
        return total.tolist()

    def _average_gradients(self, share: float) -> None:
        """Each rank's gradient (of its share's mean loss) weighted by its ``share`` of the batch and
        added over the ranks: the gradient of the whole batch's mean loss. One ``all_reduce`` of
        all the gradients flattened into one buffer."""
        import torch.distributed as dist

        grads = [p.grad for p in self.params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads]) * share
        dist.all_reduce(flat)
        for g, part in zip(grads, flat.split([g.numel() for g in grads]), strict=True):
            g.copy_(part.view_as(g))

    # -- running ---------------------------------------------------------------------------------

    def step(self, network: Network, index: int, context: RunContext) -> Mapping[str, float]:
        epoch, position = divmod(index, self.train_units + self.test_units)
        if position < self.train_units:
            return self._train(network, epoch, position, context)
        return self._test(network, epoch, position - self.train_units, context)

    def _order(self, epoch: int) -> Tensor:
        generator = torch.Generator().manual_seed(self.seed + 7919 * epoch)
        return torch.randperm(len(self.train_set), generator=generator)[: self.per_epoch]

    def _batch(self, dataset: Any, ids: Tensor, network: Network, context: RunContext) -> tuple[Tensor, Tensor]:
        """The samples' input, ``[time, batch, *shape]`` from the encoder or ``[batch, *shape]``
        (a constant current) without one, and their labels."""
        items = [dataset[int(i)] for i in ids]
        data = torch.stack([x for x, _ in items])
        labels = torch.stack([torch.as_tensor(y) for _, y in items]).long().to(network.device)
        assert self.input_layer is not None
        frames = getattr(context.encoder, "takes_frames", False)  # [batch, frames, ...] sequences (events)
        leading = data.shape[:2] if frames else data.shape[:1]
        data = data.reshape(*leading, *network.layers[self.input_layer].shape).to(network.device)
        if context.encoder is None:
            return data, labels
        return context.encoder(data, context.time, dt=context.dt, generator=context.generator), labels

    def _present(self, network: Network, data: Tensor, start: int, steps: int, context: RunContext) -> None:
        """Run ``steps`` steps of the input from step ``start`` on."""
        assert self.input_layer is not None
        if context.encoder is None:
            network.run(None, time=steps, constant={self.input_layer: data})
        else:
            network.run({self.input_layer: data[start : start + steps]}, time=steps)

    def _windows(self, time: int) -> list[int]:
        size = self.tbptt or time
        return [min(size, time - start) for start in range(0, time, size)]

    def _train(self, network: Network, epoch: int, batch: int, context: RunContext) -> dict[str, float]:
        b = context.batch_size
        whole = self._order(epoch)[batch * b : (batch + 1) * b]
        ids = self._share(whole)
        spikes, labels = self._batch(self.train_set, ids, network, context)
        network.train()
        network.reset_state()
        self.optimizer.zero_grad(set_to_none=True)
        total, predicted, start = 0.0, [], 0
        windows = self._windows(context.time)
        for steps in windows:
            self._present(network, spikes, start, steps, context)
            start += steps
            output = self.output.take()
            loss = self.loss(output, labels)
            if not loss.requires_grad:
                raise SnnkitError(
                    f"the loss does not depend on any learnable tensor: nothing learnable leads to layer "
                    f"{self.output_layer!r}, or its spiking layers lack a surrogate"
                )
            loss.backward()
            network.detach_state()
            total += float(loss.detach())
            predicted.append(output)
        if self.world_size > 1:
            self._average_gradients(len(ids) / len(whole))
        self.optimizer.step()
        if batch == self.train_units - 1 and self.scheduler is not None:
            self.scheduler.step()
        joined = {k: torch.cat([o[k] for o in predicted]).detach() for k in predicted[0]}
        if self.world_size == 1:
            accuracy = float((self.loss.predict(joined) == labels).float().mean())
            metrics = {"loss": total / len(windows), "accuracy": accuracy, "epoch": float(epoch + 1)}
            return metrics | self._rates(context.dt)
        # the whole batch's metrics: each rank's sums, added over the ranks
        counts = [(m.spikes, m.slots) for m in self.rates.values()]
        self._rates(context.dt)  # forget this batch's counts
        correct = float((self.loss.predict(joined) == labels).sum())
        sums = self._sum([total * len(ids) / len(whole), correct, *(x for pair in counts for x in pair)])
        metrics = {"loss": sums[0] / len(windows), "accuracy": sums[1] / len(whole), "epoch": float(epoch + 1)}
        pairs = zip(sums[2::2], sums[3::2], strict=True)
        rates = {f"rate.{n}": s / max(k, 1) * 1000.0 / context.dt for n, (s, k) in zip(self.rates, pairs, strict=True)}
        return metrics | rates

    def _rates(self, dt: float) -> dict[str, float]:
        return {f"rate.{name}": monitor.take() * 1000.0 / dt for name, monitor in self.rates.items()}

    def _test(self, network: Network, epoch: int, batch: int, context: RunContext) -> dict[str, float]:
        b = context.batch_size
        ids = self._share(torch.arange(batch * b, min((batch + 1) * b, self.n_test)))
        if batch == 0:
            self.test_totals.zero_()
        loss, correct = 0.0, 0.0
        if len(ids):  # a rank's share of a last, short batch may be empty
            spikes, labels = self._batch(self.test_set, ids, network, context)
            network.eval()
            network.reset_state()
            with torch.no_grad():
                self._present(network, spikes, 0, context.time, context)
            output = self.output.take()
            loss = float(self.loss(output, labels))
            correct = float((self.loss.predict(output) == labels).sum())
        # added over the ranks every batch, so that every rank holds the totals rank 0 checkpoints
        totals = self._sum([loss * len(ids), correct, float(len(ids))])
        self.test_totals += torch.tensor(totals, dtype=torch.float64)
        self._rates(context.dt)  # test activity is not a training rate
        if batch < self.test_units - 1:
            return {}
        loss_sum, correct_sum, n = self.test_totals.tolist()
        return {"test_loss": loss_sum / n, "test_accuracy": correct_sum / n, "epoch": float(epoch + 1)}

    # -- checkpoints -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Tensor]:
        state = {"optimizer": _to_bytes(self.optimizer.state_dict()), "test_totals": self.test_totals.clone()}
        if self.scheduler is not None:
            state["scheduler"] = _to_bytes(self.scheduler.state_dict())
        if self.world_size > 1:  # rank 0 records; every rank's random generators go in its checkpoint
            import torch.distributed as dist

            generators: list[Any] = [None] * self.world_size
            dist.all_gather_object(generators, self.network.random_state())
            state["random"] = _to_bytes(generators)
            state["world_size"] = torch.tensor(self.world_size)
        return state

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:
        if state:
            self.saved = dict(state)
            self.test_totals = state["test_totals"].to(torch.float64).clone()


@hookimpl
def snnkit_register_pipelines(registry):
    registry.add("gradient", GradientPipeline)


def _labels_max(dataset: Any) -> int:
    """The largest label of a dataset without ``classes``, from its ``labels`` (see snnkit.datasets)."""
    labels = getattr(dataset, "labels", None)
    if labels is None:
        raise SnnkitError(
            f"the gradient pipeline needs the number of classes, and the dataset ({type(dataset).__name__}) has"
            " neither `classes` (a list of class names) nor `labels` (every item's label): give it one"
        )
    return int(torch.as_tensor(labels).max())
