"""Time NIR export and import of a 784-400-10 LIF network (dense, with biases), in memory and through a file.

    python benchmarks/nir_export.py [--repeat 5]

Prints one JSON line: median seconds of snnkit.to_nir, snnkit.from_nir (graph in memory), nir.write and
from_nir of the written file, and the file's size. Needs ``pip install 'snnkit-core[nir]'``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import nir
import torch

import snnkit

LIF = {"refractory": 0.0, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1.0, "tau_mem": 20.0}


def network() -> snnkit.Network:
    net = snnkit.Network(dt=1.0, seed=0, zero_delay=True)
    net.add_layer("input", "input", 784)
    net.add_layer("hidden", "lif", 400, **LIF)
    net.add_layer("output", "lif", 10, **LIF)
    net.add_connection("input", "hidden", "dense", weight="normal(0, 0.05)", bias=0.0)
    net.add_connection("hidden", "output", "dense", weight="normal(0, 0.05)", bias=0.0)
    return net


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    net = network()
    snnkit.from_nir(snnkit.to_nir(net))  # warm up: plugins load, nir imports
    export_s, graph = timed(lambda: snnkit.to_nir(net), args.repeat)
    import_s, back = timed(lambda: snnkit.from_nir(graph), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.nir"
        write_s, _ = timed(lambda: nir.write(path, graph), args.repeat)
        read_s, _ = timed(lambda: snnkit.from_nir(path), args.repeat)
        size = path.stat().st_size
    assert torch.equal(back.connections["input->hidden"].weight, net.connections["input->hidden"].weight)
    print(
        json.dumps(
            {
                "network": "784-400-10 lif, dense with bias",
                "to_nir_s": round(export_s, 4),
                "from_nir_s": round(import_s, 4),
                "nir_write_s": round(write_s, 4),
                "from_nir_file_s": round(read_s, 4),
                "file_bytes": size,
                "nir": nir.__version__ if hasattr(nir, "__version__") else "",
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
