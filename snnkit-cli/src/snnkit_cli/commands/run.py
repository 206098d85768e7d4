"""``snnkit run``, ``snnkit experiments``: run an experiment file or a named experiment."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import click

from snnkit.experiment import load_experiment, parse_experiment
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit.recording import open as open_recording
from snnkit.runner import check_run, run_experiment

INTERRUPTED = 130


class StopFlag:
    """Set by SIGINT/SIGTERM; the run stops at the next unit boundary. A second Ctrl-C stops at once.
    ``first`` and ``second`` say so when each arrives."""

    def __init__(
        self,
        first: str = "stopping after this sample (Ctrl-C again to stop now)...",
        second: str = "stopping now; the last checkpoint is kept as the resume point",
    ) -> None:
        self.requested = False
        self.first, self.second = first, second
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            click.echo(f"\n{self.second}", err=True)
            raise KeyboardInterrupt
        self.requested = True
        click.echo(f"\n{self.first}", err=True)

    def __call__(self) -> bool:
        return self.requested


class LivePlots:
    """Redraws the experiment's plots from the recording while it runs.

    With an interactive matplotlib backend (a display: TkAgg, QtAgg, macOS, ...) each plot is one
    window, redrawn in place; without one it says so once and writes PNGs to ``folder`` instead.
    Each redraw during the run draws one plot, the one that waited longest (five figures at once
    cost seconds); the first comes at the first unit on the interval (its cost, importing
    matplotlib and opening a window, is start-up), later ones at most every ``every`` units and
    never more than ``budget`` of the wall time: a redraw is skipped when it would take drawing
    above that share of the time since the run started. :meth:`render` with no
    names draws every plot (the end of the run). A window the user closes stays closed.
    """

    def __init__(
        self, plugins: PluginManager, names: list[str], folder: Path, every: int, budget: float = 0.05
    ) -> None:
        self.plugins, self.names, self.folder, self.every, self.budget = plugins, names, folder, every, budget
        self.started, self.spent, self.renders = time.perf_counter(), 0.0, 0
        self.last = 0.0  # what the last redraw cost (s)
        self.startup = 0.0  # what the first one cost (importing matplotlib, opening a window)
        self.figures: dict[str, Any] = {}
        self.windows: bool | None = None  # decided at the first render

    def __call__(self, done: int, path: Path, flush: Callable[[], None]) -> None:
        if self.windows:
            begin = time.perf_counter()
            self._events()  # keep the windows responsive between redraws
            self.spent += time.perf_counter() - begin
        over_budget = self.spent + self.last > self.budget * (time.perf_counter() - self.started)
        if done % self.every or (self.renders and over_budget):
            return
        begin = time.perf_counter()
        flush()
        self.render(path, [self.names[self.renders % len(self.names)]] if self.names else [])
        cost = time.perf_counter() - begin
        if self.renders == 1:  # importing matplotlib and opening the first window: start-up, not a redraw
            self.startup = cost
        else:
            self.last = cost
            self.spent += cost

    def render(self, path: Path, names: list[str] | None = None) -> None:
        """Draw the plots ``names`` (default: all) from the recording at ``path`` now."""
        import matplotlib.pyplot as plt

        if self.windows is None:
            self.windows = _interactive(plt.get_backend())
            if not self.windows:
                click.echo(
                    f"live plots: no display (matplotlib backend {plt.get_backend()!r}); writing them to {self.folder}",
                    err=True,
                )
        recording = open_recording(path, self.plugins)
        for name in self.names if names is None else names:
            figure = self.figures.get(name)
            if self.windows and figure is not None and not plt.fignum_exists(figure.number):
                continue  # closed by the user
            try:
                figure = self.plugins.build("plots", name, recording, figure=figure)
            except Exception:
                continue  # nothing to draw yet (no metrics before the first unit), or a broken plot
            if self.windows:
                if name not in self.figures:
                    figure.canvas.manager.set_window_title(f"snnkit: {name}")
                    figure.show()
                self.figures[name] = figure
                figure.canvas.draw_idle()
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                figure.savefig(self.folder / f"{name}.png", dpi=80)
                plt.close(figure)
        if self.windows:
            self._events()
        self.renders += 1

    def _events(self) -> None:
        for figure in self.figures.values():
            figure.canvas.flush_events()


def _interactive(backend: str) -> bool:
    """Whether matplotlib's ``backend`` opens windows."""
    from matplotlib.backends import BackendFilter, backend_registry

    return backend.lower() in backend_registry.list_builtin(BackendFilter.INTERACTIVE)


def _test_metrics(path: Path, plugins: PluginManager) -> dict[str, float]:
    """The latest value of every ``test_...`` metric the run recorded, whichever unit measured it."""
    try:
        metrics = open_recording(path, plugins).metrics()
    except Exception:  # a run that recorded nothing; the summary still prints
        return {}
    return {k: float(v[-1]) for k, (_, v) in metrics.items() if k.startswith("test_") and len(v)}


#: Metrics that say how a run goes, shown first in the progress bar (then the others, e.g. rates).
FIRST = ("test_accuracy", "accuracy", "test_return", "return", "loss", "test_loss")


def _format_metrics(metrics: Mapping[str, float]) -> str:
    """Up to three metrics for the progress bar, those that say how learning goes first."""
    ranked = sorted(metrics, key=lambda k: next((i for i, f in enumerate(FIRST) if k.startswith(f)), len(FIRST)))
    return " ".join(f"{k}={metrics[k]:.3g}" for k in ranked[:3])


@click.command("run")
@click.argument("experiment", required=False)
@click.option("--set", "overrides", multiple=True, metavar="TABLE.KEY=VALUE", help="Override a value, e.g. run.seed=3.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Validate, build the network and plugins, print the resolved experiment; run nothing.",
)
@click.option("--resume", "resume", type=click.Path(path_type=Path), help="Continue the run recorded in this file.")
@click.option("--output", "output", type=click.Path(path_type=Path), help="Record to this file ([run] output).")
@click.option("--force", is_flag=True, help="Replace an existing recording at the output (never any other file).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary at the end.")
@click.option(
    "--live", is_flag=True, help="Redraw the experiment's plots in windows while it runs (PNGs without a display)."
)
@click.option(
    "--live-every",
    default=10,
    show_default=True,
    help="Units between live redraws (redrawing takes at most 5% of the time).",
)
@click.option(
    "--nproc",
    type=click.IntRange(min=1),
    default=None,
    help="Train data-parallel in this many processes (torchrun; the gradient pipeline only).",
)
@click.pass_obj
def run_command(
    plugins: PluginManager | None,
    experiment: str | None,
    overrides: tuple[str, ...],
    dry_run: bool,
    resume: Path | None,
    output: Path | None,
    force: bool,
    quiet: bool,
    as_json: bool,
    live: bool,
    live_every: int,
    nproc: int | None,
) -> None:
    """Run EXPERIMENT (a TOML file or a name from `snnkit experiments`) and record it (HDF5 by default).

    Ctrl-C or SIGTERM stops at the next sample, writes a checkpoint and exits with 130; a second
    Ctrl-C stops at once, keeping the last checkpoint. `snnkit run --resume RUN.h5` continues it.
    An existing recording at the output is never replaced without --force.

    --nproc N trains data-parallel in N processes that torchrun starts (as `torchrun
    --nproc-per-node N -m snnkit_cli run ...` does); rank 0 records and prints.
    """
    plugins = plugins or get_plugin_manager()
    leader = os.environ.get("RANK", "0") == "0"  # under torchrun, rank 0 alone prints
    quiet = quiet or not leader
    if resume is not None:
        if experiment is not None or overrides or force:
            raise click.UsageError("--resume continues a recorded run as it was: give no EXPERIMENT, --set or --force")
        text = open_recording(resume, plugins).experiment
        exp = parse_experiment(text, plugins, source=str(resume))
    elif experiment is None:
        raise click.UsageError("name an experiment file or a named experiment (see `snnkit experiments`)")
    else:
        extra = [f"run.output={json.dumps(str(output))}"] if output else []
        exp = load_experiment(experiment, plugins, [*overrides, *extra])
    if dry_run:
        check_run(exp, plugins, force=force, resume=resume is not None)
        click.echo(exp.to_toml(), nl=False)
        return
    if nproc is not None:
        pipeline, path = exp.data["pipeline"]["plugin"], Path(resume or exp.output)
        _launch(nproc, plugins, pipeline, path, experiment, overrides, resume, output, force, quiet, as_json, live)
    unit = getattr(plugins.get("pipelines", exp.data["pipeline"]["plugin"]).factory, "unit", "samples")
    if unit == "batches" and exp.run["batch_size"] == 1:
        unit = "samples"
    # torch logs where it looks for CUDA when it compiles on a CPU: nothing the user can act on
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    if exp.run["compile"] and not quiet and not as_json:
        click.echo("compiling the network's step (torch.compile): the first unit takes a minute or so", err=True)
    started = time.perf_counter()
    with StopFlag() as stop, contextlib.ExitStack() as stack:
        bars: list[Any] = []  # the bar appears with the first finished unit, after every check passed

        def progress(done: int, total: int, metrics: Mapping[str, float]) -> None:
            if not bars:
                # click draws no bar off a terminal, only the label once: say nothing there instead
                hidden = quiet or not sys.stderr.isatty()
                bar = click.progressbar(
                    length=total, label=exp.run["name"], file=sys.stderr, hidden=hidden, show_pos=True
                )
                bars.append(stack.enter_context(bar))
                bar.item_show_func = lambda m: m
            rate = done / max(time.perf_counter() - started, 1e-9)
            bars[0].update(done - bars[0].pos, f"{rate:.1f} {unit}/s {_format_metrics(metrics)}")

        plots = exp.data["plots"] or ["spikes", "performance"]
        live_plots = (
            LivePlots(
                plugins, plots, Path(str(exp.output if resume is None else resume)).with_suffix("") / "live", live_every
            )
            if live
            else None
        )
        result = run_experiment(
            exp, plugins, resume=resume, force=force, should_stop=stop, progress=progress, live=live_plots
        )
    seconds = round(time.perf_counter() - started, 3)
    if live_plots is not None:
        live_plots.render(result.path)  # the end of the run, whatever the throttle skipped
    summary: dict[str, Any] = {
        "status": result.status,
        "path": str(result.path),
        "units_done": result.units_done,
        "units": result.units,
        "seconds": seconds,
        "metrics": result.metrics,
        "test_metrics": _test_metrics(result.path, plugins),
        "note": result.error,
    }
    if live_plots is not None:
        summary["live_renders"] = live_plots.renders
        summary["live_seconds"] = round(live_plots.startup + live_plots.spent, 3)
    # under --nproc the processes end with 0 when interrupted, so that torchrun reports no failure;
    # the command that started them says it (130)
    interrupted = 0 if os.environ.get(_LAUNCHED) else INTERRUPTED
    if not leader:
        sys.exit(interrupted if result.status == "interrupted" else 0)
    if as_json:
        click.echo(json.dumps(summary))
    elif not quiet:
        note = f" ({result.error})" if result.error else ""
        click.echo(f"{result.status}: {result.units_done}/{result.units} {unit} recorded in {result.path}{note}")
        if result.metrics:
            click.echo("last metrics: " + " ".join(f"{k}={v:.4g}" for k, v in result.metrics.items()))
        tests = {k: v for k, v in summary["test_metrics"].items() if k not in result.metrics}
        if tests:  # measured before the last unit (a phase's test, an evaluation's)
            click.echo("earlier tests: " + " ".join(f"{k}={v:.4g}" for k, v in tests.items()))
        plot = f"snnkit plot {result.path}"
        if not any(c.available for c in plugins.components("plots")):
            plot += " (needs pip install 'snnkit-plugins[plot]')"
        click.echo(f"look at it: snnkit inspect {result.path}   {plot}")
    if result.status == "interrupted":
        if not as_json:
            size = int(os.environ.get("WORLD_SIZE", "1"))
            processes = f"--nproc {size} " if size > 1 else ""
            click.echo(f"resume with: snnkit run {processes}--resume {result.path}", err=True)
        sys.exit(interrupted)
    if live_plots is not None and live_plots.windows and sys.stdin.isatty():
        import matplotlib.pyplot as plt

        click.echo("live plots: close their windows to exit", err=True)
        plt.show()


#: set in the processes that ``--nproc`` starts
_LAUNCHED = "SNNKIT_NPROC_LAUNCHED"


def _launch(
    nproc: int,
    plugins: PluginManager,
    pipeline: str,
    path: Path,
    experiment: str | None,
    overrides: tuple[str, ...],
    resume: Path | None,
    output: Path | None,
    force: bool,
    quiet: bool,
    as_json: bool,
    live: bool,
) -> None:
    """Run this command again in ``nproc`` processes under torchrun (``--standalone``: a free local
    port) and exit with its status: 130 if the run at ``path`` was interrupted.

    torchrun runs in this process (``torch.distributed.run.main``): on Ctrl-C it passes the
    signal on to the processes, which stop after the same batch, and waits for them."""
    if os.environ.get("WORLD_SIZE"):
        raise click.UsageError("--nproc starts torchrun: give it outside torchrun, not within it")
    if live:
        raise click.UsageError("--live draws from one process: give it without --nproc")
    if not getattr(plugins.get("pipelines", pipeline).factory, "distributed", False):
        known = [c.name for c in plugins.components("pipelines") if getattr(c.factory, "distributed", False)]
        raise click.UsageError(
            f"--nproc trains data-parallel, and the {pipeline!r} pipeline does not (its learning is local"
            f" or it has no batches to share): run it without --nproc; pipelines that do: {', '.join(known)}"
        )
    if resume is not None:  # refused here once, rather than by every process it would start
        recorded = int(open_recording(resume, plugins).attrs.get("world_size", 1))
        if recorded != nproc:
            again = f"snnkit run {f'--nproc {recorded} ' if recorded > 1 else ''}--resume {resume}"
            raise click.UsageError(
                f"{resume} was recorded by {recorded} process{'es' if recorded > 1 else ''} and --nproc asks for"
                f" {nproc}: a data-parallel run resumes with as many processes as it started with ({again})"
            )
    args = ["--resume", str(resume)] if resume is not None else [str(experiment)]
    args += [f"--set={o}" for o in overrides] + (["--output", str(output)] if output else [])
    args += [flag for flag, given in (("--force", force), ("--quiet", quiet), ("--json", as_json)) if given]
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    # torchrun warns that it sets one OpenMP thread per process (the run sets its own, run.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    os.environ[_LAUNCHED] = "1"
    logging.getLogger("torch.distributed.elastic").setLevel(logging.ERROR)  # its notes on stopping
    try:
        torchrun(["--standalone", f"--nproc-per-node={nproc}", "-m", "snnkit_cli", "run", *args])
        code = 0
    except SignalException:  # Ctrl-C or SIGTERM: the processes were told, and stopped
        code = INTERRUPTED
    except ChildFailedError:  # torchrun said which process failed and how
        code = 1
    if code == 0 and path.exists() and open_recording(path, plugins).status == "interrupted":
        code = INTERRUPTED
    sys.exit(code)


@click.command("experiments")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def experiments_command(plugins: PluginManager | None, as_json: bool) -> None:
    """List the named experiments that `snnkit run NAME` accepts."""
    plugins = plugins or get_plugin_manager()
    components = plugins.components("experiments")
    if as_json:
        data = [
            {"name": c.name, "summary": c.summary, "distribution": c.provider.distribution, "path": str(c.factory)}
            for c in components
        ]
        click.echo(json.dumps(data, indent=2))
        return
    width = max((len(c.name) for c in components), default=4)
    for c in components:
        click.echo(f"{c.name.ljust(width)}  {c.summary}  ({c.provider})")
