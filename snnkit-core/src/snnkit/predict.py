"""Classifying new data with a trained run: ``snnkit predict RUN.h5`` and :class:`TrainedRun`.

A recording holds everything needed: the resolved experiment (what builds the network, its
encoder and its pipeline) and the last checkpoint (the learned weights and thresholds, and the
pipeline's state, from which a classifying pipeline refits its readouts exactly as the run's test
used them). Only pipelines that classify (they define ``prepare_classify`` and ``classify``, as
the ``dataset`` pipeline does with its label assignment) can predict.

>>> run = TrainedRun("runs/mnist.h5")  # doctest: +SKIP
>>> result = run.predict_dataset(run.dataset(overrides=["dataset.train=false"]))  # doctest: +SKIP
>>> result.accuracy()  # doctest: +SKIP
{'all-activity': 0.84, 'proportion-weighting': 0.85}
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import ConcatDataset

from snnkit.errors import SnnkitError
from snnkit.experiment import PLUGIN_TABLES, apply_override, build_network, build_plugin, building, parse_experiment
from snnkit.pipelines import RunContext
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.recording import open as open_recording


class PredictError(SnnkitError, ValueError):
    """A run that cannot classify (no checkpoint, no label assignment) or data it cannot take."""


@dataclass
class Predictions:
    """Each readout's predicted class per sample (``-1``: no basis for one), and the true labels
    when the data had them."""

    predictions: dict[str, Tensor]
    labels: Tensor | None = None

    def accuracy(self) -> dict[str, float]:
        """Fraction predicted correctly per readout (a ``-1`` counts wrong); empty without labels."""
        if self.labels is None or not len(self.labels):
            return {}
        return {name: float((p == self.labels).float().mean()) for name, p in self.predictions.items()}

    def write_csv(self, path: str | Path) -> None:
        """One row per sample: ``sample``, ``label`` (when known), then each readout's prediction."""
        names = list(self.predictions)
        with Path(path).open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["sample", *(["label"] if self.labels is not None else []), *names])
            n = len(next(iter(self.predictions.values()))) if names else 0
            for i in range(n):
                label = [int(self.labels[i])] if self.labels is not None else []
                out.writerow([i, *label, *(int(self.predictions[name][i]) for name in names)])


class TrainedRun:
    """A recorded run's network, as its last checkpoint left it, ready to classify new inputs.

    Args:
        path: the recording (``snnkit run`` writes one).
        plugins: the plugin manager (default: the process-wide one).
        batch_size: samples presented at once; default: the run's ``[run] batch_size``.
    """

    def __init__(self, path: str | Path, plugins: PluginManager | None = None, batch_size: int | None = None) -> None:
        self.path, self.plugins = Path(path), plugins or get_plugin_manager()
        recording = open_recording(self.path, self.plugins)
        self.experiment = parse_experiment(recording.experiment, self.plugins, source=str(self.path))
        checkpoint = recording.checkpoint()
        if not checkpoint or "network" not in checkpoint:
            raise PredictError(f"{self.path} holds no checkpoint to load the trained network from")
        self.status = recording.status
        pipeline_name = self.experiment.data["pipeline"]["plugin"]
        self.pipeline = build_plugin(self.experiment, "pipeline", self.plugins)
        if not callable(getattr(self.pipeline, "classify", None)):
            raise PredictError(
                f"{self.path}: its {pipeline_name!r} pipeline assigns no labels to neurons, so the run is not a"
                " classifier predict can use; runs of the 'dataset' pipeline are"
            )
        self.network = build_network(self.experiment, self.plugins)
        self.network.load_state_dict(dict(checkpoint["network"]))
        self.pipeline.load_state_dict(dict(checkpoint.get("pipeline", {})))
        run = self.experiment.run
        self.context = RunContext(
            time=run["time"],
            dt=run["dt"],
            batch_size=batch_size or run["batch_size"],
            samples=0,
            generator=self.network.generator(),
            encoder=build_plugin(self.experiment, "encoder", self.plugins),
        )
        try:
            self.pipeline.prepare_classify(self.network, self.context)
        except SnnkitError as exc:
            raise PredictError(f"{self.path}: {exc}") from None

    @property
    def readouts(self) -> list[str]:
        """The names of the readouts (evaluations) that predict."""
        return list(self.pipeline.evaluations)

    def dataset(self, data: str | None = None, overrides: Sequence[str] = ()) -> Any:
        """A data set to classify: the dataset plugin ``data`` (a name, or the path of an image folder
        or a tensors file), else the run's own ``[dataset]`` table; ``overrides`` as ``--set``:
        ``"dataset.train=false"``. A path without a ``dataset.train`` override gives the whole folder
        or file: its training split, then its test split."""
        path = Path(data) if data is not None and Path(data).exists() else None
        if data is None:
            if "dataset" not in self.experiment.data:
                raise PredictError(f"{self.path}: the run has no [dataset] table; name the data with --data")
            table = dict(self.experiment.data["dataset"])
        elif path is not None:
            table = {"plugin": "image-folder", "root": data} if path.is_dir() else {"plugin": "tensors", "path": data}
        else:
            table = {"plugin": data}
        spec: dict[str, Any] = {"dataset": table}
        for override in overrides:
            if not override.startswith("dataset."):
                raise PredictError(f"--set {override!r}: predict sets only the data's options, dataset.KEY=VALUE")
            apply_override(spec, override, "predict")
        params = {k: v for k, v in table.items() if k != "plugin"}

        def build(**extra: Any) -> Any:
            with building("predict", "dataset", list(params)):
                return self.plugins.build(PLUGIN_TABLES["dataset"], table["plugin"], **{**params, **extra})

        if path is None or "train" in params:
            return build()
        train = build(train=True)
        try:
            test = build(train=False)
        except SnnkitError:  # e.g. a folder too small to have a test split: the training split is all of it
            return train
        return ConcatDataset([train, test])

    def predict(self, inputs: Tensor, labels: Tensor | None = None) -> Predictions:
        """Classify ``inputs`` ``[samples, ...]`` (each reshaped to the input layer), in batches."""
        b = self.context.batch_size
        batches = (inputs[start : start + b] for start in range(0, len(inputs), b))
        return Predictions(self._classify(batches), None if labels is None else torch.as_tensor(labels).long())

    def predict_dataset(self, dataset: Any, samples: int | None = None) -> Predictions:
        """Classify the first ``samples`` items (default: all) of a labelled data set, in order."""
        n = len(dataset) if samples is None else min(samples, len(dataset))
        if n == 0:
            raise PredictError("the data set to classify is empty")
        b, labels = self.context.batch_size, []

        def batches() -> Iterator[Tensor]:
            for start in range(0, n, b):
                items = [dataset[i] for i in range(start, min(start + b, n))]
                labels.append(torch.stack([torch.as_tensor(item[1]) for item in items]).long())
                yield torch.stack([torch.as_tensor(item[0]) for item in items])

        predictions = self._classify(batches())
        return Predictions(predictions, torch.cat(labels))

    def _classify(self, batches: Iterable[Tensor]) -> dict[str, Tensor]:
        chunks: dict[str, list[Tensor]] = {name: [] for name in self.readouts}
        for batch in batches:
            try:
                classes = self.pipeline.classify(self.network, batch, self.context)
            except SnnkitError as exc:
                raise PredictError(f"{self.path}: {exc}") from None
            for name, p in classes.items():
                chunks[name].append(p)
        return {name: torch.cat(c) if c else torch.zeros(0, dtype=torch.long) for name, c in chunks.items()}


__all__ = ["PredictError", "Predictions", "TrainedRun"]
