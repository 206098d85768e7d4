"""``snnkit export``: a recorded run's learned network, or an experiment's network, as a NIR file."""

from __future__ import annotations

from pathlib import Path

import click

from snnkit.experiment import build_network, load_experiment, parse_experiment
from snnkit.nirio import DISCRETIZATIONS, require_nir, to_nir
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.recording import open as open_recording


@click.command("export")
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["nir"]), default="nir", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write, e.g. model.nir.")
@click.option("--set", "overrides", multiple=True, metavar="TABLE.KEY=VALUE", help="Override an experiment's value.")
@click.option(
    "--discretization",
    type=click.Choice(DISCRETIZATIONS),
    default="exact",
    show_default=True,
    help="How the graph's time constants are meant to be read: exact decay, or forward Euler (snnTorch).",
)
@click.option("--drop-rules", is_flag=True, help="Export connections that learn with their current weights.")
@click.option("--force", is_flag=True, help="Replace an existing file at the output.")
@click.pass_obj
def export_command(
    plugins: PluginManager | None,
    source: str,
    fmt: str,
    output: Path,
    overrides: tuple[str, ...],
    discretization: str,
    drop_rules: bool,
    force: bool,
) -> None:
    """Export SOURCE's network as NIR (docs/nir.md): a recording RUN.h5 (the learned state of its last
    checkpoint) or an EXPERIMENT (a TOML file or a named experiment; its initial network)."""
    plugins = plugins or get_plugin_manager()
    nir = require_nir()
    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; give --force to replace it")
    path = Path(source)
    if path.exists() and path.suffix != ".toml":
        if overrides:
            raise click.UsageError("--set changes an experiment, not a recorded run: give no --set with RUN.h5")
        recording = open_recording(path, plugins)
        experiment = parse_experiment(recording.experiment, plugins, source=str(path))
        network = build_network(experiment, plugins)
        checkpoint = recording.checkpoint()
        network.load_state_dict(dict(checkpoint["network"]))
        what = f"the last checkpoint of {path}"
    else:
        experiment = load_experiment(source, plugins, overrides)
        network = build_network(experiment, plugins)
        what = f"the initial network of {experiment.source}"
    graph = to_nir(network.cpu(), discretization=discretization, drop_rules=drop_rules)
    output.parent.mkdir(parents=True, exist_ok=True)
    nir.write(output, graph)
    counts = [_count(len(network.layers), "layer"), _count(len(network.connections), "connection")]
    counts.append(_count(len(graph.nodes), "node"))
    click.echo(f"wrote {output}: {what} as a NIR graph ({', '.join(counts)})")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
