"""The ``tensorboard`` recorder: another recorder's file, plus TensorBoard event files beside it."""

from __future__ import annotations

import contextvars
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from snnkit import Monitor, Network, hookimpl
from snnkit.recorders import Recorder

if TYPE_CHECKING:
    from snnkit.recording import Recording

GRID = (70, 110, 170)  # colour of the lines between receptive fields (RGB), unlike any grey level of a field
MIN_IMAGE_WIDTH = 256  # pixels: small images are enlarged (nearest neighbour, at most 8 times) to about this width

_asking = contextvars.ContextVar("snnkit_tensorboard_asking", default=False)


class TensorBoardWarning(UserWarning):
    """Writing the TensorBoard event files failed; the recording itself is not affected."""


class TensorBoardRecorder(Recorder):
    """Record with another recorder (``hdf5`` by default) and also log the run for TensorBoard.

    Every call goes first to the wrapped recorder, so its file is exactly what that recorder alone
    writes (``snnkit inspect``, ``snnkit plot`` and ``--resume`` work on it as before). Besides,
    ``torch.utils.tensorboard`` writes event files into ``log_dir``:

    * scalars: every metric of every unit, at step = unit index (``rate.output`` in Hz, ...);
    * histograms ``weights/<connection>`` at every weight snapshot (``[run] weights_every``);
    * images ``receptive-fields/<connection>`` at every snapshot, when the connection's weights are
      ``[source size, target size]`` and its source is a 2-D image (or a square number of neurons:
      784 = 28 x 28): one tile per target neuron (up to ``max_fields``), grey levels from the
      smallest (black) to the largest (white) weight shown, in a blue grid;
    * texts ``experiment`` (the resolved TOML) and ``metadata`` (seed, host, versions, ...) at step 0.

    A resumed run opens the event files with ``purge_step`` = the first unit after the checkpoint, so
    TensorBoard hides what was logged after it and shows the same curves as an uninterrupted run; a
    new run purges from step 0, hiding the events of an earlier run into the same ``log_dir``
    (``--force``; nothing is deleted). A failure in TensorBoard writing only warns
    (:class:`TensorBoardWarning`): the wrapped recording goes on untouched.

    The wrapped recorder is looked up by name in snnkit's process-wide plugin manager, because a
    recorder is built with its parameters only (no plugin manager is passed to it); give a
    ``Recorder`` object as ``inner`` to choose it in code. The file is the wrapped recorder's, so
    ``recognizes`` and ``open`` ask the installed recorders which of them reads it, and
    ``snnkit.recording.open`` returns that recorder's reader either way. ``suffix`` is ``.h5``, the
    default ``hdf5`` recorder's: set ``[run] output`` when wrapping a recorder with another suffix.

    Args:
        log_dir: folder for the event files; ``None`` (default): beside the recording, named after
            it with ``.tb`` (``runs/poisson-lif-demo.h5`` -> ``runs/poisson-lif-demo.tb/``).
            ``{name}`` is replaced by the run's name (``"tensorboard/{name}"``); a relative path is
            relative to the current folder, as ``[run] output`` is. Give each run its own folder.
        inner: the recorder that writes the recording, by name; ``None`` (default): the default
            recorder (``hdf5``).
        inner_params: parameters of that recorder (e.g. ``{compression = "lzf"}``); none by default.
        max_fields: receptive fields (target neurons) drawn per connection, 100; 0 draws no images.

    >>> recorder = TensorBoardRecorder(inner_params={"compression": "lzf"}, max_fields=16)
    >>> type(recorder.inner).__name__, recorder.inner.compression, recorder.max_fields
    ('HDF5Recorder', 'lzf', 16)
    >>> receptive_fields(torch.rand(4, 2), (2, 2)).shape  # 2 fields of 2 x 2 in a grid 4 x 7, enlarged 8 x
    (32, 56, 3)
    """

    suffix = ".h5"  # the default inner recorder's (hdf5): the file written is the inner recorder's

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        return _reader(Path(path)) is not None

    @classmethod
    def open(cls, path: Path) -> Recording:
        reader = _reader(Path(path))
        if reader is None:
            from snnkit.recording import RecordingError

            raise RecordingError(f"{path} is not a recording any installed recorder wrote")
        recording: Recording = reader.open(Path(path))
        return recording

    def __init__(
        self,
        *,
        log_dir: str | None = None,
        inner: str | Recorder | None = None,
        inner_params: dict[str, Any] | None = None,
        max_fields: int = 100,
    ) -> None:
        if log_dir is not None:
            try:
                formatted = log_dir.format(name="run")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"log_dir {log_dir!r}: only {{name}} can be filled in ({type(exc).__name__}: {exc})"
                ) from None
            if not formatted.strip():
                raise ValueError("log_dir must name a folder, e.g. 'runs/{name}.tb'; got an empty string")
        if isinstance(max_fields, bool) or not isinstance(max_fields, int) or max_fields < 0:
            raise ValueError(f"max_fields must be a number of receptive fields, 0 for no images; got {max_fields!r}")
        if inner_params is not None and not isinstance(inner_params, Mapping):
            raise ValueError(f"inner_params must be a table of the inner recorder's parameters, got {inner_params!r}")
        self.log_dir, self.max_fields = log_dir, max_fields
        self.inner = _inner(inner, dict(inner_params or {}))
        self.path: Path | None = None
        self.writer: Any = None  # the SummaryWriter, None before start/resume and after a failure
        self._warned: set[str] = set()

    # -- lifecycle: the inner recorder first, then TensorBoard -----------------------------------

    def start(self, path: Path, experiment: str, metadata: Mapping[str, Any]) -> None:
        self.inner.start(path, experiment, metadata)
        self.path = Path(path)
        self._open_writer(str(metadata.get("name", self.path.stem)), purge_step=0)
        self._write_texts(experiment, metadata)

    def resume(self, path: Path) -> Mapping[str, Any]:
        checkpoint = self.inner.resume(path)
        self.path = Path(path)
        progress = checkpoint.get("progress", {})
        purge_step = int(progress["index"]) + 1 if "index" in progress else None
        recording = self._recording()
        name = str(recording.attrs.get("name", self.path.stem)) if recording is not None else self.path.stem
        self._open_writer(name, purge_step=purge_step)
        if purge_step == 0 and recording is not None:  # the purge hides the texts of step 0: write them again
            self._write_texts(recording.experiment, recording.attrs)
        return checkpoint

    def finish(self, status: str, error: str | None = None) -> None:
        try:
            self.inner.finish(status, error)
        finally:
            self._write("closing the event files", lambda w: w.close())
            self.writer = None

    # -- data ------------------------------------------------------------------------------------

    def monitor(self, name: str, target: str, variables: Sequence[str]) -> Monitor:
        return self.inner.monitor(name, target, variables)  # monitored values go to the recording only

    def log(self, index: int, metrics: Mapping[str, float]) -> None:
        self.inner.log(index, metrics)
        for key, value in metrics.items():
            self._write(f"scalar {key!r}", lambda w, key=key, value=value: w.add_scalar(key, float(value), index))

    def snapshot(self, index: int, network: Network) -> None:
        self.inner.snapshot(index, network)
        if self.writer is None:
            return
        for name, conn in network.connections.items():
            weight = getattr(conn, "weight", None)
            if not isinstance(weight, Tensor):
                continue
            weight = weight.detach().to("cpu", torch.float32, copy=True)
            self._write(
                f"histogram weights/{name}", lambda w, n=name, x=weight: w.add_histogram(f"weights/{n}", x, index)
            )
            shape = _image_shape(getattr(conn, "source_shape", ()))
            size = (math.prod(getattr(conn, "source_shape", ())), math.prod(getattr(conn, "target_shape", ())))
            if self.max_fields and shape is not None and tuple(weight.shape) == size:
                self._write(
                    f"image receptive-fields/{name}",
                    lambda w, n=name, x=weight, s=shape: w.add_image(
                        f"receptive-fields/{n}", receptive_fields(x, s, self.max_fields), index, dataformats="HWC"
                    ),
                )

    def record_array(self, index: int, name: str, value: Tensor) -> None:
        self.inner.record_array(index, name, value)

    def checkpoint(self, index: int, state: Mapping[str, Mapping[str, Tensor]]) -> None:
        self.inner.checkpoint(index, state)
        self._write("flushing the event files", lambda w: w.flush())

    def flush(self) -> None:
        self.inner.flush()
        self._write("flushing the event files", lambda w: w.flush())

    # -- TensorBoard, never at the recording's expense -------------------------------------------

    def resolved_log_dir(self, name: str) -> Path:
        """Where the event files of the run ``name`` recorded at :attr:`path` go."""
        assert self.path is not None, "start() or resume() first"
        if self.log_dir is not None:
            return Path(self.log_dir.format(name=name))
        folder = self.path.with_name(self.path.stem + ".tb")
        return folder if folder != self.path else self.path.with_name(self.path.name + ".tb")

    def _open_writer(self, name: str, purge_step: int | None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.resolved_log_dir(name)), purge_step=purge_step)
        except Exception as exc:
            self.writer = None
            self._failed("opening the event files", exc)

    def _write(self, what: str, action: Callable[[Any], Any]) -> None:
        if self.writer is None:
            return
        try:
            action(self.writer)
        except Exception as exc:
            self._failed(what, exc)

    def _failed(self, what: str, exc: Exception) -> None:
        """Warn once per kind of write; never raise (warnings made errors included)."""
        if what in self._warned:
            return
        self._warned.add(what)
        try:
            warnings.warn(
                f"TensorBoard logging failed ({what}: {type(exc).__name__}: {exc}); the recording {self.path}"
                " is not affected",
                TensorBoardWarning,
                stacklevel=3,
            )
        except Warning:
            pass

    def _recording(self) -> Recording | None:
        """The wrapped recorder's reader of :attr:`path`, for the run's name and texts on resume."""
        try:
            return type(self.inner).open(self.path)  # type: ignore[arg-type]
        except Exception:
            return None

    def _write_texts(self, experiment: str, metadata: Mapping[str, Any]) -> None:
        rows = ["| key | value |", "| --- | --- |"]
        for key, value in metadata.items():
            if isinstance(value, str) and value.startswith("{"):
                try:
                    value = json.loads(value)  # e.g. versions, stored as JSON text by hdf5
                except ValueError:
                    pass
            if isinstance(value, Mapping):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            rows.append(f"| {key} | {str(value).replace('|', '&#124;')} |")
        self._write("text experiment", lambda w: w.add_text("experiment", f"```toml\n{experiment}\n```", 0))
        self._write("text metadata", lambda w: w.add_text("metadata", "\n".join(rows), 0))


def receptive_fields(weight: Tensor, shape: tuple[int, int], max_fields: int = 100) -> np.ndarray:
    """The columns of ``weight`` ``[source size, target size]`` as tiles of ``shape`` in a grid: an
    RGB image (uint8 ``[height, width, 3]``), grey from the smallest to the largest weight shown,
    enlarged (nearest neighbour) to about :data:`MIN_IMAGE_WIDTH` pixels when small."""
    height, width = shape
    count = min(int(weight.shape[1]), max_fields)
    per_row = math.ceil(math.sqrt(count))
    rows = math.ceil(count / per_row)
    fields = weight[:, :count].T.reshape(count, height, width).float()
    low, high = float(fields.min()), float(fields.max())
    grey = ((fields - low) / (high - low) if high > low else torch.zeros_like(fields)).nan_to_num(0.0)
    grey = (grey.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    image = np.empty((rows * (height + 1) + 1, per_row * (width + 1) + 1, 3), dtype=np.uint8)
    image[...] = GRID
    for j in range(count):
        r, c = divmod(j, per_row)
        top, left = 1 + r * (height + 1), 1 + c * (width + 1)
        image[top : top + height, left : left + width] = grey[j][..., None]
    scale = max(1, min(8, MIN_IMAGE_WIDTH // image.shape[1]))
    return image.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else image


def _image_shape(source_shape: Sequence[int]) -> tuple[int, int] | None:
    """The 2-D image a source layer is (size-1 axes ignored), or the square a 1-D one fills, or None."""
    sizes = [int(s) for s in source_shape if int(s) != 1]
    if len(sizes) == 2:
        return sizes[0], sizes[1]
    if len(sizes) == 1:
        side = math.isqrt(sizes[0])
        if side > 1 and side * side == sizes[0]:
            return side, side
    return None


def _inner(inner: str | Recorder | None, params: dict[str, Any]) -> Recorder:
    """The wrapped recorder: an object as given, else built by name (or the default) with ``params``."""
    from snnkit.errors import ComponentUnavailableError, ParameterError, SnnkitError
    from snnkit.plugins import get_plugin_manager

    if isinstance(inner, Recorder):
        if params:
            raise ValueError("inner_params can only be given with inner as a name, not a Recorder object")
        built: Recorder = inner
    else:
        registry = get_plugin_manager().registry("recorders")
        try:
            name = inner if inner is not None else getattr(registry.default(), "name", None)
        except SnnkitError as exc:  # several recorders offered as the default
            raise ValueError(f"inner: {exc}") from None
        if name is None:
            raise ValueError("inner: no default recorder is installed; name the recorder to wrap")
        try:
            component = registry.get(name)
        except SnnkitError as exc:  # unknown, or registered twice
            raise ValueError(f"inner must name an installed recorder: {exc}") from None
        try:
            built = component.build(**params)
        except ComponentUnavailableError as exc:
            raise ValueError(f"inner must name an installed recorder: {exc}") from None
        except ParameterError as exc:  # names the recorder itself
            raise ValueError(f"inner_params: {exc}") from None
        except (SnnkitError, TypeError, ValueError) as exc:  # the inner recorder's range checks
            raise ValueError(f"inner_params of the {name!r} recorder: {exc}") from None
    if isinstance(built, TensorBoardRecorder):
        raise ValueError("inner must name the recorder that writes the recording, not 'tensorboard' itself")
    if not isinstance(built, Recorder):
        raise ValueError(f"inner must be a recorder, got {type(built).__name__}")
    return built


def _reader(path: Path) -> type[Recorder] | None:
    """The installed recorder (other than this one) that recognizes ``path``, if any."""
    from snnkit.plugins import get_plugin_manager

    if _asking.get():  # another wrapping recorder asked us back: answer no rather than loop
        return None
    token = _asking.set(True)
    try:
        for component in get_plugin_manager().components("recorders"):
            factory = component.factory
            if not component.available or not isinstance(factory, type) or issubclass(factory, TensorBoardRecorder):
                continue
            if factory.recognizes(path):
                return factory
        return None
    finally:
        _asking.reset(token)


@hookimpl
def snnkit_register_recorders(registry):
    registry.add("tensorboard", TensorBoardRecorder, requires=["tensorboard", "PIL"], extra="tensorboard")
