"""``snnkit inspect``: what a recording holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from snnkit.recording import open as open_recording


@click.command("inspect")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect_command(path: Path, as_json: bool) -> None:
    """Show RUN.h5's status, metadata, groups with shapes, and a summary of its metrics."""
    recording = open_recording(path)
    attrs = recording.attrs
    metrics = {
        name: {"count": int(v.numel()), "first": float(v[0]), "last": float(v[-1]), "mean": float(v.mean())}
        for name, (_, v) in recording.metrics().items()
        if v.numel()
    }
    tree = [{"path": p, "shape": list(s) if s is not None else None, "dtype": d} for p, s, d in recording.tree()]
    if as_json:
        click.echo(json.dumps({"attrs": attrs, "metrics": metrics, "tree": tree}, indent=2, default=str))
        return
    click.echo(f"{path}: status {attrs['status']}" + (f" ({attrs['error']})" if attrs.get("error") else ""))
    for key in ("name", "seed", "host", "started", "ended", "snnkit_version"):
        if key in attrs:
            click.echo(f"  {key}: {attrs[key]}")
    click.echo("contents:")
    for item in tree:
        shape = "" if item["shape"] is None else f"  {tuple(item['shape'])} {item['dtype']}"
        click.echo(f"  {item['path']}{'/' if item['shape'] is None else ''}{shape}")
    if metrics:
        click.echo("metrics (count, first, last, mean):")
        for name, m in metrics.items():
            click.echo(f"  {name}: {m['count']}, {m['first']:.4g}, {m['last']:.4g}, {m['mean']:.4g}")
