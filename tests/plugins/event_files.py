"""Tiny neuromorphic data sets written in their real on-disk formats, in tonic's folder layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHD_KEYS = [f"{lang}-{n}".encode() for lang in ("english", "german") for n in range(10)]


def nmnist_bytes(events: list[tuple[int, int, int, int]]) -> bytes:
    """N-MNIST's 40-bit events (x, y, polarity, timestamp in us): byte 0 x, byte 1 y, bit 7 of
    byte 2 the polarity, and a 23-bit timestamp in the rest of bytes 2 to 4 (big-endian)."""
    out = bytearray()
    for x, y, p, t in events:
        assert t < 2**23
        out += bytes([x, y, (p << 7) | (t >> 16), (t >> 8) & 0xFF, t & 0xFF])
    return bytes(out)


def write_nmnist(root: Path, split: str, samples: dict[str, list[tuple[int, list[tuple[int, int, int, int]]]]]) -> None:
    """``samples``: file name -> (digit, events) under ``root/NMNIST/<Train|Test>/<digit>/``."""
    for name, (digit, events) in samples.items():
        folder = root / "NMNIST" / split / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.bin").write_bytes(nmnist_bytes(events))


def random_nmnist(root: Path, per_split: dict[str, int], seed: int = 0, events: int = 300) -> None:
    """Random N-MNIST-format samples: each digit lights its own column band (learnable), 300 ms."""
    rng = np.random.default_rng(seed)
    for split, n in per_split.items():
        samples = {}
        for i in range(n):
            digit = i % 10
            xs = rng.integers(digit * 3, digit * 3 + 4, size=events)
            ys = rng.integers(0, 34, size=events)
            ps = rng.integers(0, 2, size=events)
            ts = np.sort(rng.integers(0, 300_000, size=events))
            samples[f"{i:05d}"] = (digit, list(zip(xs.tolist(), ys.tolist(), ps.tolist(), ts.tolist(), strict=True)))
        write_nmnist(root, split, samples)


def write_hsd(path: Path, samples: list[tuple[int, list[float], list[int]]], keys: list[bytes] = SHD_KEYS) -> None:
    """The Heidelberg spiking data sets' HDF5 layout: ``spikes/times`` (s) and ``spikes/units`` per
    sample (variable length), ``labels``, ``extra/keys`` and ``extra/speaker``."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        times = f.create_dataset("spikes/times", (len(samples),), dtype=h5py.vlen_dtype(np.float32))
        units = f.create_dataset("spikes/units", (len(samples),), dtype=h5py.vlen_dtype(np.uint16))
        for i, (_, t, u) in enumerate(samples):
            times[i] = np.asarray(t, dtype=np.float32)
            units[i] = np.asarray(u, dtype=np.uint16)
        f["labels"] = np.asarray([label for label, _, _ in samples], dtype=np.uint16)
        f["extra/keys"] = np.asarray(keys)
        f["extra/speaker"] = np.zeros(len(samples), dtype=np.uint16)


def random_shd(root: Path, per_split: dict[str, int], seed: int = 0, spikes: int = 200) -> None:
    """Random SHD-format files: each class fires its own band of 35 channels, within 1 s."""
    rng = np.random.default_rng(seed)
    for split, n in per_split.items():
        samples = []
        for i in range(n):
            label = i % 20
            u = rng.integers(label * 35, label * 35 + 35, size=spikes)
            t = np.sort(rng.uniform(0.0, 0.99, size=spikes))
            samples.append((label, t.tolist(), u.tolist()))
        write_hsd(root / "SHD" / f"shd_{split}.h5", samples)
