"""What `snnkit sweep` costs and gains: 8 short trials as a sweep with 1 and 2 workers (on Ray and
on the local backend) against the same 8 runs one after another with `snnkit run`.

Every measurement is a fresh process, as a user would start it (so a sweep's time includes
starting Ray and its workers, and each `snnkit run` its own start). Prints, for each way:
the wall time, the speed-up against the `snnkit run`s one after another, and the overhead per
trial: (wall time x workers - the trials' own run time) / trials, the time a worker spends on
other things than running its trials.

    flock /tmp/heavy.lock python benchmarks/sweep.py --samples 20
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RATES = [20, 30, 40, 50]  # x 2 seeds = 8 trials


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="poisson-lif-demo")
    parser.add_argument("--samples", type=int, default=20, help="units per trial")
    parser.add_argument("--time", type=int, default=100, help="steps per unit")
    parser.add_argument("--backends", default="ray,local")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "snnkit_cli"]
    settings = ["--set", f"run.samples={args.samples}", "--set", f"run.time={args.time}"]
    trials = [(rate, seed) for rate in RATES for seed in (0, 1)]
    folder = Path(tempfile.mkdtemp(prefix="snnkit-sweep-bench-"))

    sequential, own = 0.0, 0.0
    for rate, seed in trials:
        command = [*cli, "run", args.experiment, *settings, "--set", f"encoder.max_rate={rate}"]
        command += ["--set", f"run.seed={seed}", "--output", str(folder / f"run-{rate}-{seed}.h5"), "--json"]
        wall, out = timed(command)
        sequential += wall
        own += json.loads(out.splitlines()[-1])["seconds"]
    rows = [("snnkit run x 8, one after another", 1, sequential)]
    for backend in args.backends.split(","):
        for workers in (1, 2):
            output = folder / f"sweep-{backend}-{workers}"
            command = [
                *cli,
                "sweep",
                args.experiment,
                *settings,
                "--grid",
                f"encoder.max_rate={','.join(map(str, RATES))}",
            ]
            command += ["--seeds", "0,1", "--backend", backend, "--workers", str(workers), "--output", str(output)]
            wall, _ = timed(command)
            rows.append((f"snnkit sweep --backend {backend} --workers {workers}", workers, wall))
    print(f"8 trials of {args.experiment}, {args.samples} units of {args.time} steps each;")
    print(f"their own run time (snnkit run --json 'seconds', summed): {own:.1f} s, {own / len(trials):.2f} s per trial")
    print(f"{'how':44s} {'wall (s)':>9s} {'speed-up':>9s} {'overhead/trial (s)':>19s}")
    for name, workers, wall in rows:
        overhead = (wall * workers - own) / len(trials)
        print(f"{name:44s} {wall:9.1f} {sequential / wall:9.2f} {overhead:19.2f}")


if __name__ == "__main__":
    main()
