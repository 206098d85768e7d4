"""``snnkit sweep``: run an experiment over a grid of settings and seeds, or an Optuna search."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.sweeps import BACKENDS, SEARCHES, SweepInterrupted, sweep
from snnkit_cli.commands.run import StopFlag

INTERRUPTED = 130
FAILED = 1


def _progress(quiet: bool) -> Any:
    def show(record: dict[str, Any], done: int, total: int) -> None:
        if quiet:
            return
        params = " ".join(f"{k}={v}" for k, v in record.get("params", {}).items())
        action = record.get("action", "")
        how = {"skipped": " (finished before)", "resumed": " (resumed)"}.get(action, "")
        seconds = f" in {record['seconds']:.1f} s" if record.get("seconds") and action != "skipped" else ""
        error = f": {record['error']}" if record.get("error") else ""
        status = f"{record['status']}{how}{seconds}{error}"
        click.echo(f"[{done}/{total}] {record['key']} {params} seed={record.get('seed')}: {status}", err=True)

    return show


@click.command("sweep")
@click.argument("experiment")
@click.option("--grid", multiple=True, metavar="TABLE.KEY=V1,V2", help="Values to sweep, e.g. model.n_neurons=100,400.")
@click.option("--seeds", help="Seeds of every setting: 0-4, or 0,3,7 (default: the experiment's seed).")
@click.option("--set", "overrides", multiple=True, metavar="TABLE.KEY=VALUE", help="Override a value in every trial.")
@click.option("--output", type=click.Path(path_type=Path), help="The sweep's folder (default: sweeps/NAME).")
@click.option(
    "--search",
    type=click.Choice(SEARCHES),
    help="grid (default; tpe with --trials), or Optuna's random or tpe (Bayesian).",
)
@click.option("--trials", type=int, help="Settings a random or tpe search tries (each with every seed).")
@click.option("--range", "ranges", multiple=True, metavar="TABLE.KEY=LOW:HIGH[:log]", help="A range to search.")
@click.option("--objective", help="The metric a search optimises (its final value, mean over seeds).")
@click.option("--direction", type=click.Choice(["maximize", "minimize"]), help="Of the objective (default maximize).")
@click.option("--backend", type=click.Choice(BACKENDS), help="ray (default) or local worker processes.")
@click.option("--workers", type=int, help="Trials at once (default: the cores divided by --threads).")
@click.option("--threads", type=int, help="Torch threads of each trial (default 1).")
@click.option("--address", help="A running Ray cluster, e.g. ray://head:10001 or auto.")
@click.option("--retry-failed", is_flag=True, help="Run failed trials again (they are skipped otherwise).")
@click.option("--table", is_flag=True, help="Print each trial's settings and metrics, and mean and spread per setting.")
@click.option("--plot", is_flag=True, help="Draw --metric against each swept parameter to FOLDER/sweep-METRIC.png.")
@click.option("--metric", help="The metric --table and --plot show (default: all; the plot: the objective).")
@click.option("--quiet", is_flag=True, help="No line per finished trial.")
@click.pass_obj
def sweep_command(
    plugins: PluginManager | None,
    experiment: str,
    grid: tuple[str, ...],
    seeds: str | None,
    overrides: tuple[str, ...],
    output: Path | None,
    search: str | None,
    trials: int | None,
    ranges: tuple[str, ...],
    objective: str | None,
    direction: str | None,
    backend: str | None,
    workers: int | None,
    threads: int | None,
    address: str | None,
    retry_failed: bool,
    table: bool,
    plot: bool,
    metric: str | None,
    quiet: bool,
) -> None:
    """Run EXPERIMENT once per setting of --grid and seed (or per setting an Optuna --search picks),
    each trial an ordinary recorded run under the sweep's folder. Running the same command again
    skips finished trials and resumes interrupted ones. Ctrl-C stops the trials after their
    current unit and exits with 130. See docs/sweeps.md."""
    plugins = plugins or get_plugin_manager()
    first = "stopping: running trials checkpoint after their current unit (Ctrl-C again: at once)"
    with StopFlag(first, "stopping the trials now; each keeps its last checkpoint") as stop:
        try:
            results = sweep(
                experiment,
                grid=list(grid) or None,
                seeds=seeds,
                overrides=overrides,
                output=output,
                search=search,
                trials=trials,
                ranges=list(ranges) or None,
                objective=objective,
                direction=direction,
                backend=backend,
                workers=workers,
                threads=threads,
                address=address,
                retry_failed=retry_failed,
                should_stop=stop,
                progress=_progress(quiet),
                plugins=plugins,
            )
        except SweepInterrupted as stopped:  # Ctrl-C twice: the trials stopped at once
            results = stopped.results
    if table:
        click.echo(results.format([metric] if metric else None))
    if plot:
        name = results.pick(metric)
        from snnkit_plugins.plots.sweep import plot_sweep

        figure = plot_sweep(results, name)
        path = results.folder / f"sweep-{name}.png"
        figure.savefig(path, dpi=100)
        click.echo(f"plot: {path}", err=True)
    statuses = [row["status"] for row in results.rows]
    failed = statuses.count("failed")
    left = len(statuses) - statuses.count("complete") - failed
    if not quiet:
        click.echo(
            f"{statuses.count('complete')} of {len(statuses)} trials complete, {failed} failed, {left} to run;"
            f" results in {results.folder} (results.csv, summary.csv, results.json)",
            err=True,
        )
    if stop.requested and left:
        click.echo("continue with the same command", err=True)
        sys.exit(INTERRUPTED)
    if failed:
        sys.exit(FAILED)
