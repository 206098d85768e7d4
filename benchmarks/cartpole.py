"""CartPole-v1: the spiking agent of ``cartpole-mstdp`` against a random policy, seed by seed.

    python benchmarks/cartpole.py                      # seeds 0-4, 150 episodes each
    python benchmarks/cartpole.py --seeds 0,1 --episodes 100 --workers 1 --set pipeline.baseline=0.1

Both run the named experiment through the same runner as ``snnkit run`` (recording to a temporary
file), the random policy with ``action.plugin = "random"``; with the same seed both meet the same
start states. Prints a line per run and a JSON summary: the mean return of the last 20 episodes of
each, per seed, and the smallest margin (agent minus random) over the seeds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path


def last_mean_return(args: tuple[str, int, int, bool, list[str]]) -> dict[str, object]:
    """Run the experiment for one seed (or its random-policy twin) and return its figures."""
    from snnkit import get_plugin_manager
    from snnkit.experiment import load_experiment
    from snnkit.recording import open as open_recording
    from snnkit.runner import run_experiment

    experiment_name, seed, episodes, random_policy, extra = args
    plugins = get_plugin_manager()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.h5"
        overrides = [*extra, f"run.seed={seed}", f"pipeline.episodes={episodes}", f'run.output="{path}"']
        if random_policy:
            overrides.append('action.plugin="random"')
        experiment = load_experiment(experiment_name, plugins, overrides)
        start = time.perf_counter()
        run_experiment(experiment, plugins)
        seconds = time.perf_counter() - start
        returns = open_recording(path).metrics()["return"][1]
    last = returns[-20:]
    return {
        "policy": "random" if random_policy else experiment_name,
        "seed": seed,
        "last20_mean_return": round(float(last.mean()), 2),
        "first20_mean_return": round(float(returns[:20].mean()), 2),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="cartpole-mstdp")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--episodes", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="an override for both runs")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = [
        (args.experiment, seed, args.episodes, random, args.overrides) for seed in seeds for random in (False, True)
    ]
    results = []
    with ProcessPoolExecutor(args.workers) as pool:
        for future in as_completed([pool.submit(last_mean_return, job) for job in jobs]):
            results.append(future.result())
            print(json.dumps(results[-1]), flush=True)
    agent = {r["seed"]: r["last20_mean_return"] for r in results if r["policy"] != "random"}
    random = {r["seed"]: r["last20_mean_return"] for r in results if r["policy"] == "random"}
    margins = {seed: round(agent[seed] - random[seed], 2) for seed in seeds}  # type: ignore[operator]
    print(
        json.dumps(
            {
                "experiment": args.experiment,
                "overrides": args.overrides,
                "episodes": args.episodes,
                "agent_last20": agent,
                "random_last20": random,
                "margin": margins,
                "smallest_margin": min(margins.values()),
                "beats_random_every_seed": all(m > 0 for m in margins.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
