"""``snnkit predict``: classify new data with a trained run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.predict import TrainedRun


@click.command("predict")
@click.argument("run", type=click.Path(path_type=Path))
@click.option(
    "--data",
    metavar="DATASET|PATH",
    help="A dataset plugin (mnist, ...), an image folder or a tensors file; default: the run's own [dataset].",
)
@click.option(
    "--set", "overrides", multiple=True, metavar="dataset.KEY=VALUE", help="A dataset option, e.g. dataset.train=false."
)
@click.option("--samples", type=click.IntRange(min=1), help="Classify only the first N samples.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Samples presented at once (default: the run's).")
@click.option("--output", "output", type=click.Path(path_type=Path), help="Write the predictions to this CSV file.")
@click.option("--force", is_flag=True, help="Replace an existing file at --output.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.pass_obj
def predict_command(
    plugins: PluginManager | None,
    run: Path,
    data: str | None,
    overrides: tuple[str, ...],
    samples: int | None,
    batch_size: int | None,
    output: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Classify data with the network RUN trained (its last checkpoint) and its label assignment.

    Prints each readout's accuracy (the data sets have labels) and, with --output, writes one CSV row
    per sample: sample, label, then each readout's predicted class (-1: no output neuron fired).

    \b
    snnkit predict runs/mnist.h5 --set dataset.train=false
    snnkit predict runs/mnist.h5 --data mnist --set dataset.train=false --samples 1000 --output pred.csv
    """
    if output is not None and output.exists() and not force:
        raise click.UsageError(f"{output} exists: choose another --output, or replace it with --force")
    trained = TrainedRun(run, plugins or get_plugin_manager(), batch_size=batch_size)
    result = trained.predict_dataset(trained.dataset(data, overrides), samples)
    if output is not None:
        result.write_csv(output)
    accuracy = result.accuracy()
    n = len(result.labels) if result.labels is not None else 0
    if as_json:
        click.echo(json.dumps({"run": str(run), "samples": n, "accuracy": accuracy, "output": str(output or "")}))
        return
    note = "" if trained.status == "complete" else f" (the run is {trained.status}: its last checkpoint)"
    click.echo(f"{run}: {n} samples classified{note}")
    for name, value in accuracy.items():
        click.echo(f"  accuracy.{name}: {value:.4f}")
    if output is not None:
        click.echo(f"predictions written to {output}")
