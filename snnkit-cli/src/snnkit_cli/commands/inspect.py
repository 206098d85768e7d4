"""``snnkit inspect``: what a recording holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.recording import open as open_recording


def _state(path: Path, status: str, writer: dict | None, processes: int = 1) -> str:
    """One sentence: is the run going on, finished, or dead, and what to do next (a data-parallel
    run resumes with as many processes as it started with)."""
    resume = f"`snnkit run {f'--nproc {processes} ' if processes > 1 else ''}--resume {path}`"
    if writer is not None:
        return f"being written now by process {writer.get('pid')} on {writer.get('host')}"
    if status == "complete":
        return "finished"
    if status == "running":
        return f"not running: the process writing it died (killed or crashed); continue with {resume}"
    return f"stopped; continue with {resume}"


@click.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def inspect_command(plugins: PluginManager | None, path: Path, as_json: bool) -> None:
    """Show RUN.h5's status, metadata, groups with shapes, and a summary of its metrics."""
    recording = open_recording(path, plugins or get_plugin_manager())
    attrs = recording.attrs
    metrics = {
        name: {"count": int(v.numel()), "first": float(v[0]), "last": float(v[-1]), "mean": float(v.mean())}
        for name, (_, v) in recording.metrics().items()
        if v.numel()
    }
    tree = [{"path": p, "shape": list(s) if s is not None else None, "dtype": d} for p, s, d in recording.tree()]
    writer = recording.writer
    state = _state(path, attrs["status"], writer, int(attrs.get("world_size", 1)))
    if as_json:
        data = {"attrs": attrs, "state": state, "writer": writer, "metrics": metrics, "tree": tree}
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"{path}: status {attrs['status']}" + (f" ({attrs['error']})" if attrs.get("error") else ""))
    click.echo(f"  {state}")
    for key in ("name", "seed", "host", "started", "ended", "snnkit_version", "threads", "world_size"):
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
