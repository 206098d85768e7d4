"""``snnkit plot``: render a recording's plots to PNG files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

from snnkit.errors import ParameterError, SnnkitError, closest
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.recording import Recording
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
    help="Only these plots (repeatable); default: the experiment's `plots` list, or every plot with data"
    " when it names none.",
)
@click.option("--all", "everything", is_flag=True, help="Every installed plot that finds data, whatever the list.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="[PLOT.]NAME=VALUE",
    help="A plot's parameter, e.g. voltages.neurons=10, or last_steps=500 for every drawn plot that takes it"
    " (repeatable; the value is read as TOML, else taken as a string).",
)
@click.option("--dpi", default=100, show_default=True, help="Resolution of the PNGs.")
@click.pass_obj
def plot_command(
    plugins: PluginManager | None,
    path: Path,
    out: Path | None,
    names: tuple[str, ...],
    everything: bool,
    params: tuple[str, ...],
    dpi: int,
) -> None:
    """Render the plots of RUN.h5 as PNG files: those the experiment lists in `plots`, else every
    plot plugin that finds data."""
    plugins = plugins or get_plugin_manager()
    if names and everything:
        raise click.UsageError("--plot and --all exclude each other")
    recording = open_recording(path, plugins)
    listed = [] if names or everything else experiment_plots(recording)
    strict = bool(names)  # plots asked for by name must draw; the others are skipped when they cannot
    components = []
    if names:
        components = [plugins.get("plots", n) for n in names]
    elif listed:
        click.echo(f"the experiment's plots: {', '.join(listed)} (--all draws every plot with data)", err=True)
        for name in listed:
            try:
                components.append(plugins.get("plots", name))
            except SnnkitError as exc:  # the experiment names a plot that is not installed here
                click.echo(f"skipped {name}: {exc}", err=True)
    else:
        components = plugins.components("plots")
    options = plot_params(params, components, plugins)
    out = out or path.with_suffix("")
    out.mkdir(parents=True, exist_ok=True)
    if components and not any(c.available for c in components):  # one missing library, said once
        first = components[0]
        raise SnnkitError(f"plots need {', '.join(first.missing)}, which is not installed: {first.install}")
    written = 0
    for component in components:
        try:
            figure = component.build(recording, **options.get(component.name, {}))
        except Exception as exc:
            # a plot that raises anything but an SnnkitError is broken: say whose, and go on
            problem = exc if isinstance(exc, SnnkitError) else SnnkitError(_failure(component, exc))
            if strict:
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


def experiment_plots(recording: Recording) -> list[str]:
    """The ``plots`` list of the experiment the recording ran (empty when it names none)."""
    try:
        plots = tomllib.loads(recording.experiment).get("plots", [])
    except (tomllib.TOMLDecodeError, TypeError):
        return []
    return [str(p) for p in plots] if isinstance(plots, list) else []


def _accepted(component: Any) -> list[str]:
    """The parameters a plot takes from the user: all but the recording and ``figure``."""
    return [p.name for p in component.parameters[1:] if p.name != "figure"]


def plot_params(items: tuple[str, ...], components: list[Any], plugins: PluginManager) -> dict[str, dict[str, Any]]:
    """``--param`` values by plot name, checked against the parameters of the plots drawn:
    ``PLOT.NAME=VALUE`` for one plot, ``NAME=VALUE`` for every drawn plot that takes ``NAME``."""
    drawn = {c.name: c for c in components}
    options: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SnnkitError(f"--param {item!r}: write it as PLOT.NAME=VALUE or NAME=VALUE, e.g. voltages.neurons=10")
        try:
            value = tomllib.loads(f"value = {raw}")["value"]
        except tomllib.TOMLDecodeError:
            value = raw
        plot, dot, name = key.rpartition(".")
        if dot:
            if plot not in drawn:
                plugins.get("plots", plot)  # an unknown plot: its own error, with the closest names
                raise SnnkitError(
                    f"--param {item!r}: plot {plot!r} is not drawn here (drawn: {', '.join(drawn) or 'none'});"
                    f" add --plot {plot} to draw it"
                )
            takers = [drawn[plot]]
            component = drawn[plot]
            if name not in _accepted(component) and not component.accepts_any:
                match = closest(name, _accepted(component))
                hint = f" (did you mean {match[0]!r}?)" if match else ""
                raise ParameterError(component.label, f"unknown parameter {name!r}{hint}", _accepted(component))
        else:
            takers = [c for c in components if name in _accepted(c)]
            if not takers:
                takes = "; ".join(f"{c.name}: {', '.join(_accepted(c)) or 'none'}" for c in components)
                raise SnnkitError(f"--param {item!r}: no plot drawn here takes {name!r} (parameters of {takes})")
        for component in takers:
            options.setdefault(component.name, {})[name] = value
    for plot, given in options.items():  # types, as the plot's signature says
        component = drawn[plot]
        try:
            component.check_parameters(given, given=[component.parameters[0].name])
        except ParameterError as exc:
            raise ParameterError(exc.component, exc.problem, _accepted(component)) from None
    return options


def _failure(component: Any, exc: BaseException) -> str:
    """What a plot that failed unexpectedly raised, and which distribution it comes from."""
    provider = component.provider
    return f"the plot failed ({type(exc).__name__}: {exc}); it comes from {provider.distribution} {provider.version}"
