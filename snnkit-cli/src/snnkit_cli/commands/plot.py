"""``snnkit plot``: render a recording's plots to PNG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from snnkit.errors import SnnkitError
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.recording import open as open_recording


@click.command("plot")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the PNGs (default: next to RUN.h5).",
)
@click.option(
    "--plot",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only these plots (repeatable); default: every plot with data.",
)
@click.option("--dpi", default=100, show_default=True, help="Resolution of the PNGs.")
@click.pass_obj
def plot_command(plugins: PluginManager | None, path: Path, out: Path | None, names: tuple[str, ...], dpi: int) -> None:
    """Render the plots of RUN.h5 as PNG files (one per plot plugin that finds data)."""
    plugins = plugins or get_plugin_manager()
    recording = open_recording(path, plugins)
    out = out or path.with_suffix("")
    out.mkdir(parents=True, exist_ok=True)
    components = [plugins.get("plots", n) for n in names] if names else plugins.components("plots")
    if components and not any(c.available for c in components):  # one missing library, said once
        first = components[0]
        raise SnnkitError(f"plots need {', '.join(first.missing)}, which is not installed: {first.install}")
    written = 0
    for component in components:
        try:
            figure = component.build(recording)
        except Exception as exc:
            # a plot that raises anything but an SnnkitError is broken: say whose, and go on
            problem = exc if isinstance(exc, SnnkitError) else SnnkitError(_failure(component, exc))
            if names:
                raise problem from exc
            click.echo(f"skipped {component.name}: {problem}", err=True)
            continue
        target = out / f"{component.name}.png"
        figure.savefig(target, dpi=dpi)
        figure.clf()
        import matplotlib.pyplot as plt

        plt.close(figure)
        click.echo(str(target))
        written += 1
    if not written:
        raise click.ClickException("no plot found data to draw in this recording")


def _failure(component: Any, exc: BaseException) -> str:
    """What a plot that failed unexpectedly raised, and which distribution it comes from."""
    provider = component.provider
    return f"the plot failed ({type(exc).__name__}: {exc}); it comes from {provider.distribution} {provider.version}"
