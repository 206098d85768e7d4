"""The ``dataset`` pipeline: learn from a labelled data set sample by sample, then evaluate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from snnkit import Encoder, Monitor, Network, Pipeline, RateEncoder, hookimpl
from snnkit.errors import SnnkitError
from snnkit.models import Evaluation
from snnkit.pipelines import RunContext
from snnkit_plugins.pipelines._common import check_samples_fit


class _Output(Monitor):
    """Collects the output layer's spikes of the current batch: counts and firing order."""

    def __init__(self, target: str) -> None:
        super().__init__(target, ("s",))
        self.steps: list[Tensor] = []

    def record(self, values: Mapping[str, Tensor]) -> None:
        self.record_steps({"s": values["s"][None]})

    def record_steps(self, values: Mapping[str, Tensor]) -> None:
        s = values["s"]  # [steps, batch, *shape], a new tensor from the network
        self.steps.append(s.reshape(s.shape[0], s.shape[1], -1))

    def reset(self) -> None:
        self.steps = []

    def spikes(self) -> Tensor:
        """Everything recorded since the last reset, ``[time, batch, n]``, on the CPU."""
        return torch.cat(self.steps).cpu()

    def counts(self) -> Tensor:
        return self.spikes().sum(0).float()

    def sequences(self) -> list[Tensor]:
        spikes = self.spikes()
        out = []
        for b in range(spikes.shape[1]):
            step, neuron = spikes[:, b].nonzero(as_tuple=True)
            out.append(neuron[torch.argsort(step, stable=True)])
        return out


class DatasetPipeline(Pipeline):
    """Train on a labelled data set (learning on), then evaluate on its test split (learning off).

    Units are batches of ``[run] batch_size`` samples: first ``train_samples`` training samples
    (``epochs`` passes over them, in an order drawn from the run's seed), then ``test_samples``
    test samples. Each sample is encoded for ``[run] time`` steps after a state reset (the
    "resting period" of Diehl & Cook, done exactly); a sample is reshaped to the input layer's
    shape, or, for an encoder that takes sequences (``takes_frames``: ``events``), each of its
    frames is. If the output layer fires fewer than
    ``min_spikes`` spikes, the sample is shown again with the encoder's rate raised by
    ``rate_increase`` Hz (at most ``max_retries`` times), as in Diehl & Cook 2015. In a batch only
    the samples that fired too little are shown again, each alone (batch size 1) after the batch,
    as sample by sample: the others are not learned again, and a retry costs one sample's steps
    instead of a whole batch's (compiled steps compile once more, for batch size 1). Only encoders
    that are ``snnkit.RateEncoder`` (``poisson``) have a rate to raise; others are shown once.

    Every ``assign_every`` training samples the readouts (``evaluations``) are fitted on the output
    activity of the last ``window`` training samples; the running training accuracy of each is
    measured on the next interval before it is fitted again (metrics ``accuracy.<evaluation>``).
    After training, the readouts are fitted on the last ``window`` training samples and score the
    test samples: metrics ``test_accuracy.<evaluation>`` on the last unit. A recorded run classifies
    new data with those readouts (:meth:`prepare_classify`, :meth:`classify`: ``snnkit predict``).

    With ``supervised``, the labels teach by forced spikes, as in BindsNET's supervised MNIST
    example: the output layer is split evenly over the classes, and while training the neurons of
    the sample's class group (or ``clamp_neurons`` of them, chosen at random per sample) are forced
    to spike at random steps at ``clamp_rate`` Hz. BindsNET forces one neuron at every step
    (``clamp_neurons = 1``, ``clamp_rate = 1000`` at 1 ms); forced that often, STDP writes each
    digit over the neuron's weights. The default, the whole group at 5 Hz, learned best of the
    settings measured (benchmarks/README.md), though none beat unsupervised learning.

    Args:
        train_samples: training samples per epoch; ``None`` uses the whole training set.
        epochs: passes over the training samples, 1.
        test_samples: test samples; ``None`` uses the whole test set, 0 skips testing.
        evaluations: evaluation plugin names, ``["all-activity", "proportion-weighting"]``.
        assign_every: training samples between label assignments, 250.
        window: training samples whose activity the readouts are fitted on, 1000.
        min_spikes: fewest output spikes for a sample to count, 5.
        rate_increase: rate added (Hz) on each repetition of a silent sample, 32.
        max_retries: repetitions at most, 3.
        supervised: force neurons of the sample's class group to spike while training.
        clamp_rate: rate (Hz) of the forced spikes, 5.
        clamp_neurons: neurons of the class group forced per sample; ``None`` (the default): all.
        input_layer: layer fed with the data; ``None`` takes the network's ``input_layer`` (a model
            names it); a ``[network]`` table must name it here.
        output_layer: layer read out; ``None`` takes the network's ``output_layer``, as above.

    >>> DatasetPipeline(train_samples=100, test_samples=50).evaluation_names
    ['all-activity', 'proportion-weighting']
    """

    unit = "batches"
    length_key = "train_samples"

    def __init__(
        self,
        *,
        train_samples: int | None = None,
        epochs: int = 1,
        test_samples: int | None = None,
        evaluations: Sequence[str] = ("all-activity", "proportion-weighting"),
        assign_every: int = 250,
        window: int = 1000,
        min_spikes: int = 5,
        rate_increase: float = 32.0,
        max_retries: int = 3,
        supervised: bool = False,
        clamp_rate: float = 5.0,
        clamp_neurons: int | None = None,
        input_layer: str | None = None,
        output_layer: str | None = None,
    ) -> None:
        if epochs < 1 or assign_every < 1 or window < 1:
            raise ValueError("epochs, assign_every and window must be at least 1")
        if clamp_rate <= 0 or (clamp_neurons is not None and clamp_neurons < 1):
            raise ValueError("clamp_rate must be a positive rate in Hz, clamp_neurons at least 1 (or None: all)")
        self.train_samples, self.epochs, self.test_samples = train_samples, epochs, test_samples
        self.evaluation_names, self.assign_every, self.window = list(evaluations), assign_every, window
        self.min_spikes, self.rate_increase, self.max_retries = min_spikes, rate_increase, max_retries
        self.supervised, self.input_layer, self.output_layer = supervised, input_layer, output_layer
        self.clamp_rate, self.clamp_neurons = clamp_rate, clamp_neurons
        self.evaluations: dict[str, Evaluation] = {}
        self.train_counts: list[Tensor] = []
        self.train_labels: list[Tensor] = []
        self.train_sequences: list[Tensor] = []
        self.test_counts: list[Tensor] = []
        self.test_labels: list[Tensor] = []
        self.test_sequences: list[Tensor] = []
        self.hits: dict[str, int] = {}
        self.seen = 0
        self.n_classes = 0
        self.fit_counts: Tensor | None = None  # the activity the readouts were last fitted on
        self.fit_labels: Tensor | None = None
        self.fit_sequences: list[Tensor] = []
        self.recorder = None

    # -- setup -----------------------------------------------------------------------------------

    def prepare(self, network: Network, context: RunContext) -> None:
        if context.dataset is None or context.load_dataset is None:
            raise SnnkitError('the dataset pipeline needs a [dataset] table (e.g. plugin = "mnist")')
        if context.encoder is None:
            raise SnnkitError('the dataset pipeline needs an [encoder] table (e.g. plugin = "poisson")')
        self.input_layer = self.input_layer or network.input_layer
        self.output_layer = self.output_layer or network.output_layer
        for role, layer in (("input_layer", self.input_layer), ("output_layer", self.output_layer)):
            if layer is None:
                raise SnnkitError(
                    f"the dataset pipeline needs its {role}: set [pipeline] {role} to one of the layers"
                    f" ({', '.join(network.layers)}); a [model] names its own"
                )
            if layer not in network.layers:
                raise SnnkitError(
                    f"the dataset pipeline's {role} {layer!r} is not a layer; layers: {', '.join(network.layers)}"
                )
        self.train = context.dataset
        self.test = context.load_dataset(train=False) if self.test_samples != 0 else None
        check_samples_fit(self.train, network, self.input_layer, context.encoder)
        self.n_classes = len(getattr(self.train, "classes", [])) or int(self.train.labels.max()) + 1
        if self.supervised and network.layers[self.output_layer].size < self.n_classes:
            raise SnnkitError(
                f"supervised training needs at least one output neuron per class: {self.output_layer!r} has "
                f"{network.layers[self.output_layer].size} for {self.n_classes} classes"
            )
        self.evaluations = {name: network.plugins.build("evaluations", name) for name in self.evaluation_names}
        self.hits = self.hits or dict.fromkeys(self.evaluations, 0)
        self.recorder = context.recorder
        self.monitor = _Output(self.output_layer)
        network.add_monitor("dataset.output", self.monitor)
        per_epoch = self.train_samples if self.train_samples is not None else len(self.train)
        if per_epoch > len(self.train):
            raise SnnkitError(f"train_samples ({per_epoch}) exceeds the training set ({len(self.train)} samples)")
        order = torch.Generator().manual_seed(context.generator.initial_seed())  # the run's seed
        self.order = torch.cat(
            [torch.randperm(len(self.train), generator=order)[:per_epoch] for _ in range(self.epochs)]
        )
        test_size = len(self.test) if self.test is not None else 0
        self.n_test = self.test_samples if self.test_samples is not None else test_size
        self.n_train_units = -(-len(self.order) // context.batch_size)
        self.n_units = self.n_train_units + -(-self.n_test // context.batch_size)
        if self.fit_labels is not None:  # resumed: the readouts as they were at the checkpoint
            self._fit_readouts(self.fit_counts, self.fit_labels, self.fit_sequences)

    def units(self, context: RunContext) -> int:
        return self.n_units

    # -- running ---------------------------------------------------------------------------------

    @torch.no_grad()  # local learning only: a learnable tensor (a readout trained later) builds no graph
    def step(self, network: Network, index: int, context: RunContext) -> Mapping[str, float]:
        training = index < self.n_train_units
        b = context.batch_size
        if training:
            ids = self.order[index * b : (index + 1) * b]
            data, labels = self._batch(self.train, ids)
        else:
            start = (index - self.n_train_units) * b
            ids = torch.arange(start, min(start + b, self.n_test))
            data, labels = self._batch(self.test, ids)
        network.train(training)
        counts, sequences = self._present(network, data, labels if training and self.supervised else None, context)
        metrics: dict[str, float] = {"output_spikes": float(counts.sum()) / len(labels)}
        if training:
            metrics |= self._after_training_batch(counts, labels, sequences)
        else:
            self.test_counts.append(counts)
            self.test_labels.append(labels)
            self.test_sequences.extend(sequences)
            if index == self.n_units - 1:
                metrics |= self._test_scores()
        return metrics

    def _batch(self, dataset: object, ids: Tensor) -> tuple[Tensor, Tensor]:
        items = [dataset[int(i)] for i in ids]  # type: ignore[index]
        return torch.stack([x for x, _ in items]), torch.stack([torch.as_tensor(y) for _, y in items]).long()

    def _present(
        self, network: Network, data: Tensor, labels: Tensor | None, context: RunContext
    ) -> tuple[Tensor, list[Tensor]]:
        encoder = context.encoder
        assert encoder is not None and self.input_layer is not None and self.output_layer is not None
        input_shape = network.layers[self.input_layer].shape
        leading = data.shape[:2] if getattr(encoder, "takes_frames", False) else data.shape[:1]  # [batch, frames]
        data = data.reshape(*leading, *input_shape).to(network.device)
        clamp = None
        if labels is not None:
            layer = network.layers[self.output_layer]
            forced = self._teacher(labels, layer.size, context.time, context.dt, context.generator)
            clamp = {self.output_layer: forced.reshape(context.time, len(labels), *layer.shape)}
        counts, sequences = self._show(network, encoder, data, clamp, context)
        if isinstance(encoder, RateEncoder):  # only a rate can be raised
            for i in (counts.sum(1) < self.min_spikes).nonzero().flatten().tolist():
                one_clamp = None if clamp is None else {k: v[:, i : i + 1] for k, v in clamp.items()}
                for attempt in range(1, self.max_retries + 1):
                    raised = encoder.with_max_rate(encoder.max_rate + attempt * self.rate_increase)
                    one_counts, one_sequences = self._show(network, raised, data[i : i + 1], one_clamp, context)
                    counts[i] = one_counts[0]
                    if sequences:
                        sequences[i] = one_sequences[0]
                    if counts[i].sum() >= self.min_spikes:
                        break
        return counts, sequences

    def _show(
        self,
        network: Network,
        encoder: Encoder,
        data: Tensor,
        clamp: dict[str, Tensor] | None,
        context: RunContext,
    ) -> tuple[Tensor, list[Tensor]]:
        """Present ``data`` once, from a reset state; the output's spike counts ``[batch, n]`` and,
        if an evaluation needs them, firing sequences."""
        assert self.input_layer is not None
        spikes = encoder(data, context.time, dt=context.dt, generator=context.generator)
        network.reset_state()
        self.monitor.reset()
        network.run({self.input_layer: spikes}, time=context.time, clamp=clamp)
        wants_sequences = any(e.needs_sequences for e in self.evaluations.values())
        return self.monitor.counts(), self.monitor.sequences() if wants_sequences else []

    def _teacher(self, labels: Tensor, size: int, time: int, dt: float, generator: torch.Generator) -> Tensor:
        """Supervision: ``[time, batch, size]``, true where an output neuron is forced to spike.

        The output neurons are split evenly over the classes; for each sample its class's group
        (or ``clamp_neurons`` of it, chosen at random) is forced at random steps at ``clamp_rate`` Hz.
        """
        group = size // self.n_classes
        chosen = torch.zeros(len(labels), size, dtype=torch.bool)
        for row, label in enumerate(labels.tolist()):
            picked = torch.arange(group)
            if self.clamp_neurons is not None:
                picked = torch.randperm(group, generator=generator)[: self.clamp_neurons]
            chosen[row, label * group + picked] = True
        steps = torch.rand((time, *chosen.shape), generator=generator) < self.clamp_rate * dt / 1000.0
        return chosen & steps

    def _after_training_batch(self, counts: Tensor, labels: Tensor, sequences: list[Tensor]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        fitted = self.seen >= self.assign_every
        for name, readout in self.evaluations.items():
            if fitted:
                seqs = sequences if readout.needs_sequences else None
                self.hits[name] += int((readout.predict(counts, seqs) == labels).sum())
        self.train_counts.append(counts)
        self.train_labels.append(labels)
        self.train_sequences.extend(sequences)
        before, self.seen = self.seen, self.seen + len(labels)
        if self.seen // self.assign_every > before // self.assign_every:
            if fitted:
                span = self.seen - max(before - before % self.assign_every, self.assign_every)
                metrics |= {f"accuracy.{n}": self.hits[n] / max(span, 1) for n in self.evaluations}
                self.hits = dict.fromkeys(self.evaluations, 0)
            self._fit()
            self._record_assignments()
        return metrics

    def _record_assignments(self) -> None:
        """Store each neuron's assigned class (from the first readout that assigns labels)."""
        readout = next((r for r in self.evaluations.values() if getattr(r, "assignments", None) is not None), None)
        if readout is not None and self.recorder is not None:
            self.recorder.record_array(self.seen - 1, "assignments", readout.assignments)  # type: ignore[attr-defined]

    def _window(self) -> tuple[Tensor, Tensor, list[Tensor]]:
        counts, labels = torch.cat(self.train_counts), torch.cat(self.train_labels)
        counts, labels = counts[-self.window :], labels[-self.window :]
        self.train_counts, self.train_labels = [counts], [labels]
        self.train_sequences = self.train_sequences[-self.window :]
        return counts, labels, self.train_sequences

    def _fit(self) -> None:
        counts, labels, sequences = self._window()
        self.fit_counts, self.fit_labels, self.fit_sequences = counts, labels, list(sequences)
        self._fit_readouts(counts, labels, sequences)

    def _fit_readouts(self, counts: Tensor | None, labels: Tensor, sequences: list[Tensor]) -> None:
        assert counts is not None
        for readout in self.evaluations.values():
            readout.fit(counts, labels, self.n_classes, sequences if readout.needs_sequences else None)

    def _test_scores(self) -> dict[str, float]:
        self._fit()
        if self.seen % self.assign_every:  # training ended between two assignments: store what the test uses
            self._record_assignments()
        counts, labels = torch.cat(self.test_counts), torch.cat(self.test_labels)
        return {
            f"test_accuracy.{name}": readout.accuracy(
                counts, labels, self.test_sequences if readout.needs_sequences else None
            )
            for name, readout in self.evaluations.items()
        }

    # -- classifying new data (``snnkit predict``) ----------------------------------------------

    def prepare_classify(self, network: Network, context: RunContext) -> None:
        """Get ready to :meth:`classify` with a trained run's network: the readouts are fitted on
        the activity they were last fitted on (for a finished run: the one its test used), read
        from the checkpoint that :meth:`load_state_dict` restored."""
        if self.fit_labels is None or self.fit_counts is None:
            raise SnnkitError(
                "the run holds no label assignment: it stopped before its first one (after"
                f" assign_every = {self.assign_every} training samples); let it train longer"
            )
        if context.encoder is None:
            raise SnnkitError('the run has no [encoder] table to present new data with (e.g. plugin = "poisson")')
        self.input_layer = self.input_layer or network.input_layer
        self.output_layer = self.output_layer or network.output_layer
        if self.input_layer is None or self.output_layer is None:
            raise SnnkitError("the run's network names no input_layer and output_layer to classify with")
        self.n_classes = self.n_classes or int(self.fit_labels.max()) + 1
        self.evaluations = {name: network.plugins.build("evaluations", name) for name in self.evaluation_names}
        self.monitor = _Output(self.output_layer)
        network.add_monitor("dataset.output", self.monitor)
        self._fit_readouts(self.fit_counts, self.fit_labels, self.fit_sequences)

    @torch.no_grad()
    def classify(self, network: Network, data: Tensor, context: RunContext) -> dict[str, Tensor]:
        """Each readout's class for a batch of samples ``data`` (``-1``: no basis for one), with
        learning off, presented as the run's test presented its samples."""
        assert self.input_layer is not None
        size = network.layers[self.input_layer].size
        per_sample = data[0, 0].numel() if getattr(context.encoder, "takes_frames", False) else data[0].numel()
        if per_sample != size:
            raise SnnkitError(
                f"the samples to classify have shape {tuple(data.shape[1:])} ({per_sample} values), and the input"
                f" layer {self.input_layer!r} has {size} neurons: give data shaped as the run's"
            )
        network.train(False)
        counts, sequences = self._present(network, data, None, context)
        return {
            name: readout.predict(counts, sequences if readout.needs_sequences else None)
            for name, readout in self.evaluations.items()
        }

    # -- checkpoints -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Tensor]:
        def cat(items: list[Tensor], width: int) -> Tensor:
            return torch.cat(items) if items else torch.zeros(0, width)

        width = self.train_counts[0].shape[1] if self.train_counts else 0
        return {
            "seen": torch.tensor(self.seen),
            "n_classes": torch.tensor(self.n_classes),
            "train_counts": cat(self.train_counts, width),
            "train_labels": torch.cat(self.train_labels) if self.train_labels else torch.zeros(0, dtype=torch.long),
            "test_counts": cat(self.test_counts, width),
            "test_labels": torch.cat(self.test_labels) if self.test_labels else torch.zeros(0, dtype=torch.long),
            "hits": torch.tensor([self.hits.get(n, 0) for n in self.evaluation_names]),
            "fit_counts": self.fit_counts if self.fit_counts is not None else torch.zeros(0, width),
            "fit_labels": self.fit_labels if self.fit_labels is not None else torch.zeros(0, dtype=torch.long),
            "fit_sequence_values": torch.cat(self.fit_sequences)
            if self.fit_sequences
            else torch.zeros(0, dtype=torch.long),
            "fit_sequence_lengths": torch.tensor([len(s) for s in self.fit_sequences], dtype=torch.long),
        }

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:
        if not state:
            return
        self.seen = int(state["seen"])
        self.n_classes = int(state["n_classes"]) if "n_classes" in state else self.n_classes  # older runs lack it
        self.train_counts = [state["train_counts"].float()] if len(state["train_counts"]) else []
        self.train_labels = [state["train_labels"].long()] if len(state["train_labels"]) else []
        self.test_counts = [state["test_counts"].float()] if len(state["test_counts"]) else []
        self.test_labels = [state["test_labels"].long()] if len(state["test_labels"]) else []
        self.hits = dict(zip(self.evaluation_names, state["hits"].tolist(), strict=True))
        if len(state["fit_labels"]):
            self.fit_counts, self.fit_labels = state["fit_counts"].float(), state["fit_labels"].long()
            self.fit_sequences = list(
                torch.split(state["fit_sequence_values"].long(), state["fit_sequence_lengths"].tolist())
            )


@hookimpl
def snnkit_register_pipelines(registry):
    registry.add("dataset", DatasetPipeline)
