"""How much `snnkit run --live` slows a run: the same experiment with and without live plots.

Runs `poisson-lif-demo` (or EXPERIMENT) through the command line, alternating plain and live
runs, and prints the wall time of each and the slowdown. Live plots draw in windows when a display
is there: without DISPLAY, the script starts a virtual one (Xvfb, with TkAgg) so the windowed path
is what is measured; `--files` measures the no-display path (PNG files) instead.

    python benchmarks/live_plots.py --samples 200 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def run(experiment: str, samples: int, live: bool, folder: Path, env: dict[str, str]) -> float:
    output = folder / f"{'live' if live else 'plain'}.h5"
    output.unlink(missing_ok=True)
    command = [sys.executable, "-m", "snnkit_cli", "run", experiment, "--json", "--output", str(output)]
    command += ["--set", f"run.samples={samples}", *(["--live"] if live else [])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    return float(json.loads(result.stdout.splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="poisson-lif-demo")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", action="store_true", help="measure the no-display path (PNG files)")
    args = parser.parse_args()
    env = dict(os.environ)
    xvfb = None
    if args.files:
        env["MPLBACKEND"] = "Agg"
    else:
        env["MPLBACKEND"] = "TkAgg"
        if "DISPLAY" not in env:
            server = shutil.which("Xvfb")
            if server is None:
                sys.exit("no DISPLAY and no Xvfb (apt-get install xvfb), or pass --files")
            read, write = os.pipe()
            xvfb = subprocess.Popen(
                [server, "-displayfd", str(write), "-screen", "0", "1280x1024x24"], pass_fds=(write,)
            )
            os.close(write)
            with os.fdopen(read) as pipe:
                env["DISPLAY"] = ":" + pipe.readline().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            times: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(args.repeat):
                for live in (False, True):
                    times[live].append(run(args.experiment, args.samples, live, Path(tmp), env))
            plain, live = statistics.median(times[False]), statistics.median(times[True])
            mode = "files" if args.files else f"windows ({env['MPLBACKEND']} on {env['DISPLAY']})"
            print(
                json.dumps(
                    {
                        "experiment": args.experiment,
                        "samples": args.samples,
                        "live": mode,
                        "plain_s": times[False],
                        "live_s": times[True],
                        "median_plain_s": plain,
                        "median_live_s": live,
                        "slowdown": round(live / plain - 1, 3),
                    }
                )
            )
    finally:
        if xvfb is not None:
            xvfb.terminate()


if __name__ == "__main__":
    main()
