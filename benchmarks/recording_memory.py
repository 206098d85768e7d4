"""Memory of a recorded run stays flat as the run grows: peak RSS of `snnkit run poisson-lif-demo`
for increasing numbers of samples (each in a fresh process). Prints one JSON line per run.

    python benchmarks/recording_memory.py [--samples 20,200,1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="20,200,1000")
    args = parser.parse_args()
    for samples in (int(s) for s in args.samples.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "run.h5"
            command = [
                sys.executable,
                "-m",
                "snnkit_cli",
                "run",
                "poisson-lif-demo",
                "--quiet",
                "--output",
                str(output),
            ]
            command += ["--set", f"run.samples={samples}", "--set", "run.checkpoint_every=100"]
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            subprocess.run(command, check=True)
            peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(
                json.dumps(
                    {
                        "samples": samples,
                        "steps": samples * 250,
                        "wall_s": round(time.perf_counter() - start, 2),
                        "peak_rss_mib": round(max(peak_kib, before) / 1024, 1),
                        "file_mib": round(output.stat().st_size / 2**20, 1),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
