"""The standard SNN benchmark: N Poisson inputs at 15 Hz, all-to-all to N LIF neurons.

Weights are uniform in [0, 1) mV, dt = 1 ms, 1000 steps, spike monitors on both layers; only
the simulation loop is timed (the Poisson spikes are drawn before the clock starts, except in
Brian2, whose PoissonGroup draws them inside its run). With ``--stdp`` the connection learns
with pair STDP (post-pre: nu = (1e-4, 1e-2), traces reset to 1 and decaying with 20 ms).
Prints one JSON line per N.

    python benchmarks/lif_network.py --engine snnkit --sizes 100,1000,4000 [--stdp]
    python benchmarks/lif_network.py --engine bindsnet   # needs bindsnet (nox -s bench installs it)
    python benchmarks/lif_network.py --engine brian2     # needs brian2 and Cython
"""

from __future__ import annotations

import argparse
import json
import time

import torch

RATE_HZ = 15.0


def poisson(n: int, steps: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(steps, 1, n, generator=g) < RATE_HZ * 1e-3  # [time, batch, n], dt = 1 ms


def run_snnkit(n: int, steps: int, device: str, stdp: bool) -> dict[str, float]:
    from snnkit import Network

    net = Network(dt=1.0, seed=0, threads=THREADS, compile=COMPILE).to(device)
    net.add_layer("in", "input", n)
    net.add_layer("out", "lif", n)
    net.add_connection("in", "out", "dense", weight="uniform(0, 1)", rule="post-pre" if stdp else None)
    net.add_monitor("in", "state", target="in")
    net.add_monitor("out", "state", target="out")
    net.train(stdp)
    x = poisson(n, steps).to(device)
    net.run({"in": x[:50]}, time=50)  # warm-up (compiling, with --compile), then start afresh
    net.reset_state()
    sync(device)
    start = time.perf_counter()
    net.run({"in": x}, time=steps)
    sync(device)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "input_spikes": int(x.sum()), "output_spikes": int(net.monitors["out"].get("s").sum())}


def run_bindsnet(n: int, steps: int, device: str, stdp: bool) -> dict[str, float]:
    from bindsnet.learning import PostPre
    from bindsnet.network import Network as BNetwork
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import Input, LIFNodes
    from bindsnet.network.topology import Connection

    net = BNetwork(dt=1.0, learning=stdp)
    source, target = Input(n=n, traces=stdp, tc_trace=20.0), LIFNodes(n=n, traces=stdp, tc_trace=20.0)
    net.add_layer(source, name="in")
    net.add_layer(target, name="out")
    rule = {"update_rule": PostPre, "nu": (1e-4, 1e-2)} if stdp else {}
    net.add_connection(Connection(source, target, w=torch.rand(n, n), **rule), source="in", target="out")
    net.add_monitor(Monitor(source, ["s"], time=steps), name="in")
    net.add_monitor(Monitor(target, ["s"], time=steps), name="out")
    net.to(device)
    x = poisson(n, steps).to(device)
    sync(device)
    start = time.perf_counter()
    net.run(inputs={"in": x}, time=steps)
    sync(device)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "input_spikes": int(x.sum()), "output_spikes": int(net.monitors["out"].get("s").sum())}


def run_brian2(n: int, steps: int, device: str, stdp: bool) -> dict[str, float]:
    import brian2 as b2

    b2.prefs.codegen.target = "cython"
    b2.start_scope()
    b2.defaultclock.dt = 1 * b2.ms
    eqs = "dv/dt = (-65*mV - v) / (100*ms) : volt (unless refractory)"
    source = b2.PoissonGroup(n, RATE_HZ * b2.Hz)
    target = b2.NeuronGroup(n, eqs, threshold="v >= -52*mV", reset="v = -65*mV", refractory=5 * b2.ms, method="exact")
    target.v = -65 * b2.mV
    if stdp:  # traces reset to 1 on spikes and decay with 20 ms, as in the other two
        model = (
            "w : volt\ndapre/dt = -apre / (20*ms) : 1 (event-driven)\ndapost/dt = -apost / (20*ms) : 1 (event-driven)"
        )
        on_pre = "v_post += w\napre = 1\nw -= 1e-4 * apost * mV"
        synapses = b2.Synapses(source, target, model, on_pre=on_pre, on_post="apost = 1\nw += 1e-2 * apre * mV")
    else:
        synapses = b2.Synapses(source, target, "w : volt", on_pre="v += w")
    synapses.connect()
    synapses.w = "rand() * mV"
    monitors = b2.SpikeMonitor(source), b2.SpikeMonitor(target)
    net = b2.Network(source, target, synapses, *monitors)
    start = time.perf_counter()
    net.run(steps * b2.ms)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "input_spikes": int(monitors[0].num_spikes), "output_spikes": int(monitors[1].num_spikes)}


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


ENGINES = {"snnkit": run_snnkit, "bindsnet": run_bindsnet, "brian2": run_brian2}


def threads(text: str) -> int | str:
    """``--threads``: a number, or "auto" (snnkit's own choice, see snnkit.threads)."""
    return text if text == "auto" else int(text)


#: snnkit's Network(threads=...), from --threads
THREADS: int | str = 2
#: snnkit's Network(compile=...), from --compile
COMPILE = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="snnkit")
    parser.add_argument("--sizes", default="100,250,500,1000,2000,4000,8000")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=threads, default=2, help="a number, or auto (snnkit only)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--stdp", action="store_true", help="learn with pair STDP (post-pre)")
    parser.add_argument("--compile", action="store_true", help="snnkit only: Network(compile=True)")
    args = parser.parse_args()
    global THREADS, COMPILE
    THREADS, COMPILE = args.threads, args.compile
    if isinstance(args.threads, int):
        torch.set_num_threads(args.threads)
    if args.engine == "brian2":  # compile once so that the timings exclude Cython compilation
        run_brian2(10, 10, args.device, args.stdp)
    for n in (int(s) for s in args.sizes.split(",")):
        result = ENGINES[args.engine](n, args.steps, args.device, args.stdp)
        line = {"engine": args.engine, "n": n, "steps": args.steps, "threads": args.threads, "device": args.device}
        line["stdp"], line["compile"] = args.stdp, args.compile
        line.update(result, steps_per_s=args.steps / result["wall_s"])
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
