"""Run the standard benchmark for snnkit and every installed peer, side by side, and print a table.

    python benchmarks/compare.py [--sizes 100,1000,4000] [--steps 1000] [--repeat 3] [--stdp] [--threads 1] [--compile]

Each engine runs in its own process (``lif_network.py --engine ...``); the best of ``--repeat``
runs is kept. Brian2 is run once untimed first so that Cython compilation is not counted.
Peers that are not installed are skipped (``nox -s bench`` installs bindsnet 0.3.4 and brian2 2.9.0).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("lif_network.py")


def run(engine: str, sizes: str, steps: int, stdp: bool, *extra: str) -> dict[int, dict[str, float]]:
    command = [sys.executable, str(SCRIPT), "--engine", engine, "--sizes", sizes, "--steps", str(steps), *extra]
    command += ["--stdp"] if stdp else []
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return {r["n"]: r for r in map(json.loads, output.splitlines()) if r}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,250,500,1000,2000,4000,8000")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stdp", action="store_true", help="the same network learning with pair STDP")
    parser.add_argument("--threads", default="1", help="threads of every engine (snnkit also takes auto)")
    parser.add_argument("--compile", action="store_true", help="also snnkit with Network(compile=True)")
    args = parser.parse_args()
    engines = ["snnkit", *(["snnkit-compiled"] if args.compile else [])]
    engines += [e for e in ("bindsnet", "brian2") if importlib.util.find_spec(e)]
    if "brian2" in engines:
        run("brian2", args.sizes, 10, args.stdp, "--threads", args.threads)  # compile and cache the Cython code
    best: dict[str, dict[int, dict[str, float]]] = {}
    for engine in engines:
        script, extra = ("snnkit", ["--compile"]) if engine == "snnkit-compiled" else (engine, [])
        for _ in range(args.repeat):
            for n, result in run(script, args.sizes, args.steps, args.stdp, "--threads", args.threads, *extra).items():
                kept = best.setdefault(engine, {}).get(n)
                if kept is None or result["wall_s"] < kept["wall_s"]:
                    best[engine][n] = result
    for engine in engines:
        for result in best[engine].values():
            print(json.dumps(result))
    header = ["N", *[f"{e} (s)" for e in engines], *[f"x vs {e}" for e in engines[1:]]]
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for n in sorted(best["snnkit"]):
        ours = best["snnkit"][n]["wall_s"]
        times = [f"{best[e][n]['wall_s']:.3f}" for e in engines]
        ratios = [f"{best[e][n]['wall_s'] / ours:.1f}" for e in engines[1:]]
        print(f"| {n} | " + " | ".join(times + ratios) + " |")


if __name__ == "__main__":
    main()
