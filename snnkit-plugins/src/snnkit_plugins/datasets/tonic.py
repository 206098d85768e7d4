"""Neuromorphic datasets through tonic, as frames of event counts: ``nmnist``, ``dvs-gesture``, ``shd``,
``ssc``, and any tonic dataset class by name (``tonic``)."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from snnkit import hookimpl
from snnkit.errors import closest
from snnkit_plugins.datasets.torchvision import DATA_VARIABLE, DatasetNotFoundError, data_root, dataset_class

US_PER_MS = 1000.0  # tonic's timestamps are in microseconds
ALIASES = {"crop": "CenterCrop"}  # short names for tonic.transforms classes


class EventFrames(Dataset[tuple[Tensor, Tensor]]):
    """A tonic dataset's events binned in time: items ``[frames, polarity, height, width]`` (cameras)
    or ``[frames, channels]`` (audio: events without ``y``), float event counts, integer labels.

    Frame ``f`` counts the events with ``f * bin_width <= t < (f + 1) * bin_width`` (ms from the
    recording's time 0); events at or after ``frames * bin_width`` or outside the sensor are dropped.
    """

    def __init__(
        self,
        dataset: Any,
        sensor_size: tuple[int, int, int],
        bin_width: float,
        frames: int,
        transform: Callable[[Any], Any] | None,
    ) -> None:
        self.dataset, self.sensor_size, self.bin_width, self.frames = dataset, sensor_size, bin_width, frames
        self.transform = transform
        self.classes = [c.decode() if isinstance(c, bytes) else str(c) for c in getattr(dataset, "classes", [])]
        targets = getattr(dataset, "targets", None)
        if targets is not None and len(targets) == len(dataset):
            self.labels = torch.as_tensor([int(t) for t in targets], dtype=torch.long)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        events, target = self.dataset[index]
        if self.transform is not None:
            events = self.transform(events)
        return bin_events(events, self.sensor_size, self.bin_width, self.frames), torch.as_tensor(int(target))


def bin_events(events: np.ndarray, sensor_size: Sequence[int], bin_width: float, frames: int) -> Tensor:
    """Count a structured array of events (fields ``t`` in us, ``x``, optionally ``y`` and ``p``) in
    ``frames`` time bins of ``bin_width`` ms: ``[frames, polarity, height, width]`` with ``y``,
    ``[frames, channels]`` without (``sensor_size`` is tonic's ``(width, height, polarities)``).

    >>> import numpy as np
    >>> events = np.array([(1, 0, 500, 1), (1, 0, 1500, 0), (0, 1, 1700, 1)],
    ...                   dtype=[("x", int), ("y", int), ("t", int), ("p", int)])
    >>> frames = bin_events(events, (2, 2, 2), bin_width=1.0, frames=3)
    >>> frames.shape, frames[0, 1, 0, 1].item(), frames[1, 0, 0, 1].item(), frames[1, 1, 1, 0].item()
    (torch.Size([3, 2, 2, 2]), 1.0, 1.0, 1.0)
    """
    width, height, polarities = (int(s) for s in sensor_size)
    names = events.dtype.names or ()
    t = np.asarray(events["t"], dtype=np.float64)
    step = np.floor(t / (bin_width * US_PER_MS)).astype(np.int64)
    x = np.asarray(events["x"], dtype=np.int64)
    camera = "y" in names
    y = np.asarray(events["y"], dtype=np.int64) if camera else np.zeros_like(x)
    p = np.asarray(events["p"], dtype=np.int64) if "p" in names and polarities > 1 else np.zeros_like(x)
    keep = (step >= 0) & (step < frames) & (x >= 0) & (x < width) & (y >= 0) & (y < height)
    keep &= (p >= 0) & (p < polarities)
    step, x, y, p = step[keep], x[keep], y[keep], p[keep]
    if camera:
        flat = ((step * polarities + p) * height + y) * width + x
        shape: tuple[int, ...] = (frames, polarities, height, width)
    else:  # audio: one channel per x (SHD, SSC: 700 cochlea channels)
        flat = step * width + x
        shape = (frames, width)
    counts = np.bincount(flat, minlength=math.prod(shape))
    return torch.from_numpy(counts.astype(np.float32)).reshape(shape)


def _class_name(name: str) -> str:
    """``"center-crop"`` -> ``"centercrop"``: the key tonic names are matched on."""
    return re.sub(r"[-_ ]", "", name).lower()


def build_transforms(
    specs: Sequence[str | dict[str, Any]] | None, sensor_size: tuple[int, int, int]
) -> tuple[Callable[[Any], Any] | None, tuple[int, int, int]]:
    """tonic's own transforms by name, in order, and the sensor size after them.

    Each entry is a name or a table ``{ name = "denoise", filter_time = 10000 }``; names are
    tonic.transforms classes in kebab-case (``denoise``, ``downsample``, ``center-crop``,
    ``refractory-period``, ``drop-event``, ...; ``crop`` is ``center-crop``), their parameters
    tonic's (times in us). A transform that takes ``sensor_size`` gets the current one unless given.
    ``downsample`` (``spatial_factor`` or ``target_size``), ``center-crop``/``random-crop`` and
    ``merge-polarities`` change the sensor size that frames are binned to.

    >>> _, size = build_transforms(["denoise", {"name": "downsample", "spatial_factor": 0.5}], (34, 34, 2))
    >>> size
    (17, 17, 2)
    """
    if not specs:
        return None, sensor_size
    import tonic.transforms

    known = {_class_name(n): c for n, c in vars(tonic.transforms).items() if isinstance(c, type) and n[0].isupper()}
    known |= {alias: getattr(tonic.transforms, target) for alias, target in ALIASES.items()}
    steps = []
    size = tuple(int(s) for s in sensor_size)
    for spec in specs:
        params = {"name": spec} if isinstance(spec, str) else dict(spec)
        name = str(params.pop("name", ""))
        key = _class_name(name)
        if key not in known or key == "compose":
            kebab = sorted(re.sub(r"(?<!^)(?=[A-Z])", "-", n).lower() for n in vars(tonic.transforms) if n[0].isupper())
            match = closest(name.lower(), kebab)
            hint = f"; did you mean {match[0]!r}?" if match else "."
            raise ValueError(f"unknown tonic transform {name!r}{hint} Known: {', '.join(kebab)}")
        cls = known[key]
        accepted = inspect.signature(cls).parameters
        if "sensor_size" in accepted and params.get("sensor_size") is None:
            params["sensor_size"] = size
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        if cls.__name__ == "Denoise":
            params.setdefault("filter_time", 10000)  # us: tonic has no default
        steps.append(cls(**params))
        w, h, p = size
        if cls.__name__ == "Downsample":
            if params.get("target_size") is not None:
                w, h = (int(v) for v in params["target_size"])
            else:
                factor = params.get("spatial_factor", 1)
                fx, fy = factor if isinstance(factor, tuple) else (factor, factor)
                w, h = max(1, math.ceil(w * fx)), max(1, math.ceil(h * fy))
        elif cls.__name__ == "CenterCrop":
            crop = params["size"]
            w, h = (crop, crop) if isinstance(crop, int) else (int(crop[0]), int(crop[1]))
        elif cls.__name__ == "RandomCrop":
            w, h = (int(v) for v in params["target_size"])
        elif cls.__name__ == "MergePolarities":
            p = 1
        size = (w, h, p)
    return tonic.transforms.Compose(steps), size


def _present(folder: Path, pattern: str) -> bool:
    return folder.is_dir() and next(folder.rglob(pattern), None) is not None


def _hsd_file(ds: Any) -> Path:
    return Path(ds.location_on_system, ds.filename[: -len(".zip")])


# where the unpacked files of each named dataset are, and how to say so: (found, layout)
CHECKS: dict[str, tuple[Callable[[Any], bool], Callable[[Any], str]]] = {
    "NMNIST": (
        lambda ds: _present(Path(ds.location_on_system, ds.folder_name), "*.bin"),
        lambda ds: f"{Path(ds.location_on_system, ds.folder_name)} (<digit>/<id>.bin)",
    ),
    "DVSGesture": (
        lambda ds: _present(Path(ds.location_on_system, ds.folder_name), "*.npy"),
        lambda ds: f"{Path(ds.location_on_system, ds.folder_name)} (user<NN>_<lighting>/<label>.npy)",
    ),
    "SHD": (lambda ds: _hsd_file(ds).is_file(), lambda ds: str(_hsd_file(ds))),
    "SSC": (lambda ds: _hsd_file(ds).is_file(), lambda ds: str(_hsd_file(ds))),
}


def _open(
    label: str,
    cls: type,
    root: str | None,
    download: bool,
    found: Callable[[Any], bool],
    layout: Callable[[Any], str],
    **params: Any,
) -> Any:
    """Build tonic's ``cls`` from the files under ``root`` (else ``$SNNKIT_DATA``, else the cache).

    tonic downloads whenever its own check fails, and its check also wants the archive that was
    unpacked. Here the files count as present when ``found(dataset)`` says so (the unpacked data
    alone is enough), and a download happens only with ``download``; either way, missing data
    raises ``DatasetNotFoundError`` naming where it looked.
    """
    where = data_root(root)

    class Missing(Exception):
        pass

    def check(self: Any) -> bool:
        return found(self)

    def fetch(self: Any) -> None:
        if not download:
            raise Missing(layout(self))
        try:
            cls.download(self)
        except Exception as exc:  # tonic's network and archive errors
            raise Missing(layout(self), f" ({exc})") from None

    offline = type(cls.__name__, (cls,), {"_check_exists": check, "download": fetch, "__module__": cls.__module__})
    try:
        return offline(str(where), **params)
    except (Missing, OSError) as exc:  # OSError: a class that looks for its files its own way
        failed = "could not be downloaded" if download else "download=False"
        if isinstance(exc, Missing):  # where it looked, and why a download failed
            looked, why = exc.args[0], "".join(exc.args[1:])
        else:
            looked, why = where / cls.__name__, f" ({exc})"
        raise DatasetNotFoundError(
            f"{label} was not found in {looked} and {failed}{why}. Place the files there (tonic's layout), set"
            f" {DATA_VARIABLE} to the folder that contains {cls.__name__}, or pass root=..."
        ) from None


def _frames(
    dataset: Any, bin_width: float, duration: float, transforms: Sequence[str | dict[str, Any]] | None
) -> EventFrames:
    transform, size = build_transforms(transforms, tuple(int(s) for s in dataset.sensor_size))  # type: ignore[arg-type]
    return EventFrames(dataset, size, bin_width, math.ceil(duration / bin_width - 1e-9), transform)


def _check_times(bin_width: float, duration: float) -> None:
    if not bin_width > 0 or not duration > 0:
        raise ValueError(f"bin_width and duration must be positive times in ms, got {bin_width} and {duration}")


def nmnist(
    root: str | None = None,
    train: bool = True,
    download: bool = True,
    bin_width: float = 1.0,
    duration: float = 300.0,
    first_saccade_only: bool = False,
    stabilize: bool = False,
    transforms: list[Any] | None = None,
) -> EventFrames:
    """N-MNIST: MNIST digits seen by an event camera (Orchard et al. 2015), as frames of event counts.

    Three saccades, binned into ``[frames, 2, 34, 34]`` event counts (off/on polarity, height,
    width) per ``bin_width`` ms.
    60,000 training and 10,000 test samples of about 300 ms, labels 0-9. Files are read from
    ``root`` (else ``$SNNKIT_DATA``, else ``~/.cache/snnkit/data``) in tonic's layout,
    ``<root>/NMNIST/Train/<digit>/<id>.bin`` and ``.../Test/...`` (the unpacked archives; 40-bit
    events: x, y, polarity and a 23-bit timestamp in us), and downloaded if missing unless
    ``download=False``. Present with the ``events`` encoder, ``dt`` = ``bin_width``.

    Args:
        root: data folder (see above).
        train: the training split (else the test split).
        download: download missing files (about 1 GB).
        bin_width: width of a time bin, ms: the network's ``dt``, 1.0.
        duration: time binned from the recording's start, ms (``duration / bin_width`` frames), 300.
        first_saccade_only: only the first of the three saccades (tonic's option).
        stabilize: remove the saccades' motion (tonic's option).
        transforms: tonic transforms by name, e.g. ``["denoise", {name = "downsample", spatial_factor = 0.5}]``.

    >>> nmnist(root="/nonexistent", download=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: N-MNIST was not found in /nonexistent/NMNIST/Train ...
    """
    import tonic.datasets

    _check_times(bin_width, duration)
    dataset = _open(
        "N-MNIST",
        tonic.datasets.NMNIST,
        root,
        download,
        *CHECKS["NMNIST"],
        train=train,
        first_saccade_only=first_saccade_only,
        stabilize=stabilize,
    )
    return _frames(dataset, bin_width, duration, transforms)


def dvs_gesture(
    root: str | None = None,
    train: bool = True,
    download: bool = True,
    bin_width: float = 5.0,
    duration: float = 1500.0,
    transforms: list[Any] | None = None,
) -> EventFrames:
    """DVS128 Gesture: 11 hand and arm gestures seen by an event camera (Amir et al. 2017), as frames of counts.

    ``[frames, 2, 128, 128]`` event counts per ``bin_width`` ms (smaller with transforms).
    tonic's preprocessed version (1,077 training and 264 test samples, ms timestamps), read from
    ``root`` (else ``$SNNKIT_DATA``, else ``~/.cache/snnkit/data``) in tonic's layout,
    ``<root>/DVSGesture/ibmGestureTrain/user<NN>_<lighting>/<label>.npy`` (and
    ``ibmGestureTest``), downloaded if missing unless ``download=False``. A sample binned at full
    resolution is large (2 x 128 x 128 counts per frame): ``transforms = [{name = "downsample",
    spatial_factor = 0.25}]`` gives 32 x 32.

    Args:
        root: data folder (see above).
        train: the training split (else the test split).
        download: download missing files (about 2.5 GB).
        bin_width: width of a time bin, ms: the network's ``dt``, 5.
        duration: time binned from the recording's start, ms, 1500.
        transforms: tonic transforms by name (see ``nmnist``).

    >>> dvs_gesture(root="/nonexistent", download=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: DVS Gesture was not found in /nonexistent/DVSGesture/ibmGestureTrain ...
    """
    import tonic.datasets

    _check_times(bin_width, duration)
    dataset = _open(
        "DVS Gesture",
        tonic.datasets.DVSGesture,
        root,
        download,
        *CHECKS["DVSGesture"],
        train=train,
    )
    return _frames(dataset, bin_width, duration, transforms)


def shd(
    root: str | None = None,
    train: bool = True,
    download: bool = True,
    bin_width: float = 1.0,
    duration: float = 1000.0,
    transforms: list[Any] | None = None,
) -> EventFrames:
    """Spiking Heidelberg Digits: spoken digits 0-9, English and German, as spikes of 700 channels (Cramer 2020).

    20 classes; the spikes of 700 cochlea-model channels as ``[frames, 700]`` counts per ``bin_width`` ms.
    8,156 training and 2,264 test samples of up to about 1.4 s. Files are read from ``root``
    (else ``$SNNKIT_DATA``, else ``~/.cache/snnkit/data``) in tonic's layout,
    ``<root>/SHD/shd_train.h5`` and ``shd_test.h5`` (HDF5: ``spikes/times`` in s and
    ``spikes/units`` per sample, ``labels``, ``extra/keys`` the class names), downloaded if
    missing unless ``download=False``.

    Args:
        root: data folder (see above).
        train: the training split (else the test split).
        download: download missing files (about 0.5 GB).
        bin_width: width of a time bin, ms: the network's ``dt``, 1.0.
        duration: time binned from the recording's start, ms, 1000.
        transforms: tonic transforms by name (see ``nmnist``).

    >>> shd(root="/nonexistent", download=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: SHD was not found in /nonexistent/SHD/shd_train.h5 ...
    """
    import tonic.datasets

    _check_times(bin_width, duration)
    dataset = _open(
        "SHD",
        tonic.datasets.SHD,
        root,
        download,
        *CHECKS["SHD"],
        train=train,
    )
    return _frames(dataset, bin_width, duration, transforms)


def ssc(
    root: str | None = None,
    train: bool = True,
    download: bool = True,
    test_split: str = "test",
    bin_width: float = 1.0,
    duration: float = 1000.0,
    transforms: list[Any] | None = None,
) -> EventFrames:
    """Spiking Speech Commands: 35 spoken words as spikes of 700 cochlea-model channels (Cramer et al. 2020).

    ``[frames, 700]`` counts per ``bin_width`` ms.
    Same layout, root and download rules as ``shd``: ``<root>/SSC/ssc_train.h5``, ``ssc_test.h5``
    and ``ssc_valid.h5``; the test split is ``test_split`` (``"test"`` or ``"valid"``).

    Args:
        root: data folder (see ``shd``).
        train: the training split (else ``test_split``).
        download: download missing files (about 4 GB).
        test_split: the split used for testing, ``"test"`` or ``"valid"``.
        bin_width: width of a time bin, ms: the network's ``dt``, 1.0.
        duration: time binned from the recording's start, ms, 1000.
        transforms: tonic transforms by name (see ``nmnist``).

    >>> ssc(root="/nonexistent", download=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: SSC was not found in /nonexistent/SSC/ssc_train.h5 ...
    """
    import tonic.datasets

    if test_split not in ("test", "valid"):
        raise ValueError(f"test_split must be 'test' or 'valid', got {test_split!r}")
    _check_times(bin_width, duration)
    dataset = _open(
        "SSC",
        tonic.datasets.SSC,
        root,
        download,
        *CHECKS["SSC"],
        split="train" if train else test_split,
    )
    return _frames(dataset, bin_width, duration, transforms)


def any_tonic(
    root: str | None = None,
    train: bool = True,
    download: bool = True,
    split: str = "train",
    test_split: str = "test",
    bin_width: float = 1.0,
    duration: float = 1000.0,
    transforms: list[Any] | None = None,
    **params: Any,
) -> EventFrames:
    """Any dataset class of ``tonic.datasets`` by name (``class = "POKERDVS"``), binned into frames of counts.

    The other parameters go to the class; items are ``[frames, polarity, height, width]`` or
    ``[frames, channels]`` event counts, as the named event datasets give.
    Classes with a ``train`` flag get ``train``; those with ``split`` get ``split`` for training
    and ``test_split`` for testing. Files as tonic lays them out under ``root`` (else
    ``$SNNKIT_DATA``, else ``~/.cache/snnkit/data``), in ``<root>/<class>``; they count as present
    when tonic's own check passes or that folder holds files other than archives, and are
    downloaded otherwise unless ``download=False``. The sensor size is the class's ``sensor_size``.

    Args:
        root: data folder (see above).
        train: the training split (else the test split).
        download: download missing files.
        split: the training split's name, for classes with a ``split`` parameter, "train".
        test_split: the test split's name, "test".
        bin_width: width of a time bin, ms: the network's ``dt``, 1.0.
        duration: time binned from the recording's start, ms, 1000.
        transforms: tonic transforms by name (see ``nmnist``).
        **params: ``class`` and the class's own parameters.

    >>> any_tonic(root="/nonexistent", download=False, **{"class": "NMNIST"})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DatasetNotFoundError: NMNIST was not found in /nonexistent/NMNIST ...
    """
    import tonic.datasets

    _check_times(bin_width, duration)
    cls = dataset_class(tonic.datasets, params.pop("class", None), "tonic")
    accepted = inspect.signature(cls).parameters
    if "train" in accepted:
        params["train"] = train
    elif "split" in accepted:
        params["split"] = split if train else test_split

    def found(ds: Any) -> bool:
        folder = Path(ds.location_on_system)
        archive = re.compile(r"\.(zip|tar|gz|tgz|bz2|xz|rar|7z)$")
        unpacked = folder.is_dir() and any(f.is_file() and not archive.search(f.name) for f in folder.rglob("*"))
        return unpacked or bool(cls._check_exists(ds))

    found_named, layout = CHECKS.get(cls.__name__, (found, lambda ds: ds.location_on_system))
    dataset = _open(cls.__name__, cls, root, download, found_named, layout, **params)
    return _frames(dataset, bin_width, duration, transforms)


@hookimpl
def snnkit_register_datasets(registry):
    for name, factory in [
        ("nmnist", nmnist),
        ("dvs-gesture", dvs_gesture),
        ("shd", shd),
        ("ssc", ssc),
        ("tonic", any_tonic),
    ]:
        registry.add(name, factory, requires=["tonic"], extra="events")
