"""Parameter sweeps: many ordinary runs of one experiment, each with its own settings and seed.

A sweep expands a grid (``model.n_neurons=100,400`` x seeds) or asks Optuna for settings (random or
Bayesian search), and runs every trial as an ordinary run: its own recording
``FOLDER/trials/KEY.h5`` (the resolved experiment in it holds the trial's settings and seed) and a
small ``FOLDER/trials/KEY.json`` with its settings, status, error and final metrics. ``KEY`` is a
hash of the trial's settings, seed and the sweep's ``--set`` values, so running the same sweep again
finds its trials: finished ones are skipped, interrupted ones resumed from their last checkpoint.

Trials run in worker processes, on Ray (``backend="ray"``: a local Ray started with the machine's
cores, or a cluster at ``address``) or without it (``backend="local"``: a process pool). Ray and
Optuna are imported only when a sweep uses them (extra ``snnkit-core[sweep]``): the core imports
neither, and names no plugin. Results: :mod:`snnkit.sweep_results`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import signal
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snnkit.errors import SnnkitError
from snnkit.experiment import _toml_value, load_experiment
from snnkit.plugins import PluginManager, get_plugin_manager

BACKENDS = ("ray", "local")
SEARCHES = ("grid", "random", "tpe")
INSTALL = "pip install 'snnkit-core[sweep]'"


class SweepError(SnnkitError, ValueError):
    """A sweep that cannot run as asked: what was wrong and what would be right."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C twice: the trials stopped at once, each keeping its last checkpoint; ``results`` is
    the sweep as it stands (its files written), for the caller to show before it exits."""

    def __init__(self, results: Any) -> None:
        super().__init__("the sweep was interrupted")
        self.results = results


#: Why a local worker process dies at start: the pool starts its processes with ``spawn``, which
#: imports the caller's script again in each of them.
UNGUARDED = (
    "a worker process of the local backend could not start: a script that calls snnkit.sweep(..., backend='local')"
    ' must do so under `if __name__ == "__main__":` (each worker imports the script again)'
)


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: ``params`` (``"table.key"`` -> value) and a ``seed``; ``base`` is the
    sweep's own ``--set`` values, the same for every trial."""

    params: Mapping[str, Any]
    seed: int
    base: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A short name that only this trial's settings, seed and ``base`` give."""
        text = json.dumps({"params": dict(sorted(self.params.items())), "seed": self.seed, "set": self.base})
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    def overrides(self) -> list[str]:
        """The ``--set`` values that make the experiment this trial."""
        return [*self.base, *(f"{k}={_toml_value(v)}" for k, v in self.params.items()), f"run.seed={self.seed}"]


@dataclass
class Sweep:
    """What a sweep runs (from the command line, ``snnkit.sweep(...)`` and the ``[sweep]`` table)."""

    experiment: str
    folder: Path
    overrides: tuple[str, ...] = ()
    grid: dict[str, list[Any]] = field(default_factory=dict)
    ranges: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=lambda: [0])
    search: str = "grid"
    trials: int | None = None
    objective: str | None = None
    direction: str = "maximize"
    backend: str = "ray"
    workers: int = 1
    threads: int = 1
    address: str | None = None
    retry_failed: bool = False

    def grid_trials(self) -> list[Trial]:
        """Every combination of the grid's values, each with every seed (seeds vary fastest)."""
        keys = list(self.grid)
        return [
            Trial(dict(zip(keys, values, strict=True)), seed, self.overrides)
            for values in itertools.product(*(self.grid[k] for k in keys))
            for seed in self.seeds
        ]


# -- reading the settings -------------------------------------------------------------------------


def split_values(text: str) -> list[str]:
    """``"100,400"`` -> ``["100", "400"]``; commas inside brackets or quotes do not split."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


def parse_value(raw: str) -> Any:
    """A value as TOML reads it (``100``, ``6.4e1``, ``true``, ``[1, 2]``), else the text itself."""
    import tomllib

    try:
        return tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["model.n_neurons=100,400"]`` -> ``{"model.n_neurons": [100, 400]}``."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or "." not in key or not values.strip():
            raise SweepError(f"--grid {item!r}: write it as table.key=value1,value2, e.g. model.n_neurons=100,400")
        grid[key.strip()] = [parse_value(v) for v in split_values(values)]
    return grid


def parse_range(item: str) -> tuple[str, tuple[Any, ...]]:
    """``"encoder.max_rate=32:256"`` (or ``...:log``) -> ``("encoder.max_rate", (32, 256, "linear"))``."""
    key, sep, spec = item.partition("=")
    parts = spec.split(":")
    if not sep or "." not in key or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("log", "linear")):
        raise SweepError(f"--range {item!r}: write it as table.key=low:high or table.key=low:high:log")
    low, high = parse_value(parts[0]), parse_value(parts[1])
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or low >= high:
        raise SweepError(f"--range {item!r}: low and high must be numbers with low < high")
    return key.strip(), (low, high, parts[2] if len(parts) == 3 else "linear")


def parse_seeds(value: Any) -> list[int]:
    """``"0-4"`` -> ``[0, 1, 2, 3, 4]``; ``"0,3,7"``, ``3`` and ``[0, 3]`` as they say."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value) and value:
        return list(value)
    seeds: list[int] = []
    for part in str(value).split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
            raise SweepError(f"seeds {value!r}: give a range like 0-4, a list like 0,3,7, or one seed")
        first = int(match.group(1))
        seeds.extend(range(first, int(match.group(2) or first) + 1))
    return seeds


SWEEP_KEYS = (
    "grid",
    "range",
    "seeds",
    "search",
    "trials",
    "objective",
    "direction",
    "backend",
    "workers",
    "threads",
    "address",
    "output",
)


def from_table(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The settings of an experiment's ``[sweep]`` table, in :func:`sweep`'s terms."""
    for key in table:
        if key not in SWEEP_KEYS:
            raise SweepError(f"{source}: [sweep] unknown key {key!r}; keys: {', '.join(SWEEP_KEYS)}")
    settings = {k: v for k, v in table.items() if k not in ("grid", "range")}
    grid = table.get("grid", {})
    if not isinstance(grid, Mapping) or not all(isinstance(v, list) and v for v in grid.values()):
        raise SweepError(f'{source}: [sweep.grid] maps "table.key" to a list of values, e.g. "model.n_neurons" = [100]')
    if grid:
        settings["grid"] = {k: list(v) for k, v in grid.items()}
    ranges = table.get("range", {})
    if ranges:
        settings["ranges"] = [f"{k}={':'.join(str(x) for x in v)}" for k, v in ranges.items()]
    return settings


# -- one trial, in a worker process ---------------------------------------------------------------


def final_metrics(path: Path, plugins: PluginManager) -> dict[str, float]:
    """The last value of every metric the recording at ``path`` holds."""
    from snnkit.recording import open as open_recording

    return {k: float(v[-1]) for k, (_, v) in open_recording(path, plugins).metrics().items() if len(v)}


def trial_paths(folder: Path, trial: Trial) -> tuple[Path, Path]:
    """The recording and the JSON record of ``trial`` in the sweep ``folder``."""
    return folder / "trials" / f"{trial.key}.h5", folder / "trials" / f"{trial.key}.json"


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(temporary, path)  # never half a file, whenever the process stops


def run_trial(
    experiment: str, trial: Trial, folder: str, stop: str, threads: int, retry_failed: bool
) -> dict[str, Any]:
    """Run, resume or skip one trial in this process and return its record (also written to
    ``trials/KEY.json``). Never raises: a failure is the record's ``status`` and ``error``.

    The trial stops after its current unit (checkpointing it) once the file ``stop`` exists; it
    does not start when it exists already. SIGINT is ignored (the sweep's process asks through
    ``stop``); SIGTERM stops at once, keeping the last checkpoint as the resume point."""

    if os.path.exists(stop):
        return {"key": trial.key, "params": dict(trial.params), "seed": trial.seed, "status": "not started"}
    with _trial_signals():
        return _run_trial(experiment, trial, Path(folder), stop, threads, retry_failed)


def _run_trial(
    experiment: str, trial: Trial, folder: Path, stop: str, threads: int, retry_failed: bool
) -> dict[str, Any]:
    from snnkit.experiment import parse_experiment
    from snnkit.recording import open as open_recording
    from snnkit.runner import run_experiment

    plugins = get_plugin_manager()
    path, info = trial_paths(folder, trial)
    record: dict[str, Any] = {
        "key": trial.key,
        "params": dict(trial.params),
        "seed": trial.seed,
        "set": list(trial.base),
        "path": str(path),
        "status": "running",
        "error": None,
        "metrics": {},
        "seconds": 0.0,
        "action": "new",
    }
    earlier = json.loads(info.read_text()) if info.exists() else {}
    started = time.perf_counter()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        status = open_recording(path, plugins).status if path.exists() else None
        if status == "complete":
            if earlier.get("status") != "complete":  # its record was lost: write it again
                earlier = {**record, **earlier, "status": "complete", "metrics": final_metrics(path, plugins)}
                _write_json(info, earlier)
            return {**record, **earlier, "action": "skipped"}
        if earlier.get("status") == "failed" and not retry_failed:
            return {**record, **earlier, "action": "skipped"}
        _write_json(info, {**record, "pid": os.getpid()})
        should_stop = lambda: os.path.exists(stop)  # noqa: E731 - one stat per unit
        if status in ("interrupted", "running"):  # "running": its process died; its checkpoint stays
            record["action"] = "resumed"
            exp = parse_experiment(open_recording(path, plugins).experiment, plugins, source=str(path))
            result = run_experiment(exp, plugins, resume=path, should_stop=should_stop)
        else:  # new, or a failed trial run again (retry_failed): its recording is replaced
            record["action"] = "new" if status is None else "retried"
            settings = [*trial.overrides(), f"run.output={_toml_value(str(path))}", f"run.threads={threads}"]
            exp = load_experiment(experiment, plugins, settings)
            result = run_experiment(exp, plugins, force=status is not None, should_stop=should_stop)
        record["status"] = result.status
    except KeyboardInterrupt:  # stopped before its recording began: nothing is recorded
        record["status"] = "not started"
    except Exception as exc:
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    record["seconds"] = round(time.perf_counter() - started, 3)
    if path.exists():
        try:
            record["metrics"] = final_metrics(path, plugins)
        except Exception:  # the recording is unreadable: the error is already the record's
            pass
    if record["status"] != "not started":
        _write_json(info, record)
    elif info.exists() and not path.exists():
        info.unlink()
    return record


@contextmanager
def _trial_signals() -> Iterator[None]:
    """While a trial runs in a worker: SIGINT is ignored (a terminal's Ctrl-C reaches the whole
    process group; the sweep's own process asks the trials to stop) and SIGTERM stops at once."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN), signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


# -- backends --------------------------------------------------------------------------------------


class LocalBackend:
    """Trials in a pool of ``workers`` processes (spawned: each imports snnkit once, then runs
    trial after trial)."""

    def __init__(self, sweep: Sweep) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(sweep.workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, *args: Any) -> Any:
        return self.pool.submit(run_trial, *args)

    def done(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        return list(wait(handles, timeout=timeout, return_when=FIRST_COMPLETED).done)

    def result(self, handle: Any) -> dict[str, Any]:
        return dict(handle.result())

    def kill(self, handles: Sequence[Any]) -> None:
        for process in list(getattr(self.pool, "_processes", {}).values()):  # no public way to stop a task
            process.terminate()
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class RayBackend:
    """Trials as Ray tasks of ``threads`` CPUs each, on the Ray this process is connected to, on a
    cluster at ``address``, or on a local Ray started with ``workers * threads`` CPUs."""

    def __init__(self, sweep: Sweep) -> None:
        try:
            import ray
        except ImportError:
            raise SweepError(f"the ray backend needs Ray: {INSTALL}, or run with --backend local") from None
        self.ray, self.started = ray, False
        if not ray.is_initialized():
            if sweep.address:
                ray.init(address=sweep.address, log_to_driver=False)
            else:
                ray.init(num_cpus=sweep.workers * sweep.threads, log_to_driver=False)
            self.started = True
        self.task = ray.remote(run_trial).options(num_cpus=sweep.threads, max_retries=0)

    def submit(self, *args: Any) -> Any:
        return self.task.remote(*args)

    def done(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        ready, _ = self.ray.wait(list(handles), num_returns=1, timeout=timeout)
        return list(ready)

    def result(self, handle: Any) -> dict[str, Any]:
        return dict(self.ray.get(handle))

    def kill(self, handles: Sequence[Any]) -> None:
        for handle in handles:  # KeyboardInterrupt in a running trial: it stops at once, keeping its checkpoint
            self.ray.cancel(handle)
        self.ray.wait(list(handles), num_returns=len(handles), timeout=10)
        self.close()

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False


# -- the sweep's own process ----------------------------------------------------------------------


Progress = Callable[[dict[str, Any], int, int], None]


class Driver:
    """Hands trials to an backend, collects their records, and stops them when asked."""

    def __init__(self, sweep: Sweep, should_stop: Callable[[], bool], progress: Progress | None) -> None:
        self.sweep, self.should_stop, self.progress = sweep, should_stop, progress
        self.stop_file = sweep.folder / f".stop-{uuid.uuid4().hex[:8]}"
        self.backend: Any = RayBackend(sweep) if sweep.backend == "ray" else LocalBackend(sweep)
        self.running: dict[Any, Trial] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.finished, self.total = 0, 0

    def submit(self, trial: Trial) -> None:
        experiment, sweep = self.sweep.experiment, self.sweep
        args = (experiment, trial, str(sweep.folder), str(self.stop_file), sweep.threads, sweep.retry_failed)
        self.running[self.backend.submit(*args)] = trial

    def wait(self) -> list[dict[str, Any]]:
        """Wait for at least one running trial to end; return the records of those that did."""
        while True:
            if self.should_stop() and not self.stop_file.exists():
                self.stop_file.touch()  # running trials stop after their unit, the others do not start
            done = self.backend.done(list(self.running), 0.2)
            if done:
                break
        records = []
        for handle in done:
            trial = self.running.pop(handle)
            try:
                record = self.backend.result(handle)
            except Exception as exc:  # the worker died (killed, out of memory) or could not start
                if type(exc).__name__ == "BrokenProcessPool" and self.finished == 0:
                    raise SweepError(UNGUARDED) from exc
                record = {"key": trial.key, "params": dict(trial.params), "seed": trial.seed, "status": "failed"}
                record["error"] = f"{type(exc).__name__}: {exc}"
            self.records[trial.key] = record
            self.finished += 1
            if self.progress is not None:
                self.progress(record, self.finished, self.total)
            records.append(record)
        return records

    @property
    def stopping(self) -> bool:
        return self.stop_file.exists()

    @contextmanager
    def running_backend(self) -> Iterator[Driver]:
        try:
            yield self
        except KeyboardInterrupt:  # a second Ctrl-C: trials stop at once, keeping their last checkpoints
            self.backend.kill(list(self.running))
            raise
        finally:
            self.backend.close()
            self.stop_file.unlink(missing_ok=True)


def run_grid(driver: Driver, trials: list[Trial]) -> None:
    driver.total = len(trials)
    for trial in trials:
        driver.submit(trial)
    while driver.running:
        driver.wait()


def run_optuna(driver: Driver, sweep: Sweep, trials: list[Trial]) -> None:
    """Ask Optuna for settings, ``workers`` at a time, each run with every seed; tell it the mean of
    ``objective`` over the seeds. The study is kept in ``FOLDER/optuna.log``: a sweep run again
    resumes the settings it had asked for and asks only for the rest."""
    try:
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend
    except ImportError:
        raise SweepError(f"random and Bayesian search need Optuna: {INSTALL}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(sweep.folder / "optuna.log")))
    study = optuna.create_study(study_name="sweep", storage=storage, direction=sweep.direction, load_if_exists=True)
    # seeded by the trials asked for so far: the same sweep asks the same settings, and a resumed
    # one does not ask again for those it asked before
    sampler = optuna.samplers.RandomSampler if sweep.search == "random" else optuna.samplers.TPESampler
    study.sampler = sampler(seed=len(study.trials))
    budget = sweep.trials or 0
    driver.total = budget * len(sweep.seeds)
    pending: dict[int, list[Trial]] = {}  # Optuna's trial number -> its runs not yet finished
    results: dict[int, list[dict[str, Any]]] = {}

    def start(number: int, params: dict[str, Any]) -> None:
        runs = [Trial(params, seed, sweep.overrides) for seed in sweep.seeds]
        if any(r.key == run.key for waiting in pending.values() for r in waiting for run in runs):
            study.tell(number, state=optuna.trial.TrialState.PRUNED)  # a setting running now: not twice at once
            return
        trials.extend(runs)
        pending[number], results[number] = list(runs), []
        for run in runs:
            driver.submit(run)

    for frozen in study.trials:  # asked for by an earlier, interrupted sweep
        if frozen.state == optuna.trial.TrialState.RUNNING:
            start(frozen.number, dict(frozen.params))
        elif frozen.state.is_finished():
            trials.extend(Trial(dict(frozen.params), seed, sweep.overrides) for seed in sweep.seeds)
    driver.finished = sum(1 for f in study.trials if f.state.is_finished()) * len(sweep.seeds)
    while True:
        while not driver.stopping and len(pending) < sweep.workers and len(study.trials) < budget:
            asked = study.ask()
            params = {k: _suggest(asked, k, v) for k, v in sweep.grid.items()}
            params |= {k: _suggest_range(asked, k, v) for k, v in sweep.ranges.items()}
            start(asked.number, params)
        if not driver.running:
            break
        for record in driver.wait():
            number = next(n for n, runs in pending.items() if any(r.key == record["key"] for r in runs))
            results[number].append(record)
            pending[number] = [r for r in pending[number] if r.key != record["key"]]
            if pending[number]:
                continue
            del pending[number]
            done = results.pop(number)
            if any(r["status"] in ("interrupted", "not started") for r in done):
                continue  # stays RUNNING in the study: the next sweep resumes it
            values = [r.get("metrics", {}).get(str(sweep.objective)) for r in done]
            if any(r["status"] != "complete" for r in done) or any(v is None for v in values):
                study.tell(number, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(number, sum(values) / len(values))


def _suggest(trial: Any, key: str, values: list[Any]) -> Any:
    return trial.suggest_categorical(key, values)


def _suggest_range(trial: Any, key: str, spec: tuple[Any, ...]) -> Any:
    low, high, scale = spec
    if isinstance(low, int) and isinstance(high, int):
        return trial.suggest_int(key, low, high, log=scale == "log")
    return trial.suggest_float(key, float(low), float(high), log=scale == "log")


def sweep(
    experiment: str | Path,
    *,
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    seeds: Any = None,
    overrides: Sequence[str] = (),
    output: str | Path | None = None,
    search: str | None = None,
    trials: int | None = None,
    ranges: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    objective: str | None = None,
    direction: str | None = None,
    backend: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    address: str | None = None,
    retry_failed: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    plugins: PluginManager | None = None,
) -> Any:
    """Run a parameter sweep of ``experiment`` and return its :class:`~snnkit.sweep_results.SweepResults`.

    ``grid`` maps ``"table.key"`` to values (or is a list of ``"table.key=v1,v2"``); every
    combination runs with every seed of ``seeds`` (``"0-4"``, ``[0, 3]``; default: the
    experiment's seed). ``search="random"`` or ``"tpe"`` (Bayesian, Optuna's TPE) runs ``trials``
    settings drawn from ``grid`` (as choices) and ``ranges`` (``{"encoder.max_rate": (32, 256)}``,
    or ``(low, high, "log")``), maximising or minimising (``direction``) the mean over seeds of the
    final value of metric ``objective``. Unset arguments come from the experiment's ``[sweep]``
    table, else the defaults: backend ``"ray"``, one thread per trial, as many workers as cores.

    The trials are recorded under ``output`` (default ``sweeps/NAME``); running the same sweep
    again skips finished trials, resumes interrupted ones and, with ``retry_failed``, runs failed
    ones again. ``should_stop()`` becoming true makes running trials stop after their current unit.

    >>> results = snnkit.sweep("poisson-lif-demo", grid={"encoder.max_rate": [20, 40]}, seeds="0-2")  # doctest: +SKIP
    >>> results.summary()  # doctest: +SKIP
    """
    from snnkit.sweep_results import SweepResults

    plugins = plugins or get_plugin_manager()
    experiment = str(Path(experiment).resolve()) if Path(experiment).exists() else str(experiment)
    base = load_experiment(experiment, plugins, overrides)
    table = from_table(base.data.get("sweep", {}), base.source)
    given: dict[str, Any] = {
        "grid": grid,
        "seeds": seeds,
        "output": output,
        "search": search,
        "trials": trials,
        "ranges": ranges,
        "objective": objective,
        "direction": direction,
        "backend": backend,
        "workers": workers,
        "threads": threads,
        "address": address,
    }
    settings = {**table, **{k: v for k, v in given.items() if v is not None}}
    spec = _sweep(experiment, tuple(overrides), settings, base.run, retry_failed)
    trial_list = spec.grid_trials() if spec.search == "grid" else []
    ends = [{k: v[0] for k, v in spec.grid.items()} | {k: v[0] for k, v in spec.ranges.items()}]
    ends += [{k: v[-1] for k, v in spec.grid.items()} | {k: v[1] for k, v in spec.ranges.items()}]
    for params in ends:  # a misspelt key or a value of the wrong type fails now, not in every trial
        load_experiment(experiment, plugins, Trial(params, spec.seeds[0], spec.overrides).overrides())
    spec.folder.mkdir(parents=True, exist_ok=True)
    manifest = spec.folder / "sweep.json"
    if manifest.exists():
        before = json.loads(manifest.read_text())
        if before.get("experiment") != experiment:
            other = before.get("experiment")
            raise SweepError(f"{spec.folder} holds a sweep of {other!r}, not {experiment!r}: choose another output")
    _write_json(manifest, _manifest(spec, trial_list))  # the table of an interrupted sweep reads it too
    driver = Driver(spec, should_stop, progress)
    interrupted = False
    try:
        with driver.running_backend():
            if spec.search == "grid":
                run_grid(driver, trial_list)
            else:
                run_optuna(driver, spec, trial_list)
    except KeyboardInterrupt:  # stopped at once: the trials kept their checkpoints, the results are written
        interrupted = True
    _write_json(manifest, _manifest(spec, trial_list))
    results = SweepResults.load(spec.folder)
    results.write()
    if interrupted:
        raise SweepInterrupted(results)
    return results


def _sweep(
    experiment: str, overrides: tuple[str, ...], s: dict[str, Any], run: Mapping[str, Any], retry_failed: bool
) -> Sweep:
    grid = s.get("grid") or {}
    grid = parse_grid(grid) if isinstance(grid, (list, tuple)) else {k: list(v) for k, v in grid.items()}
    ranges = s.get("ranges") or {}
    if isinstance(ranges, (list, tuple)):
        ranges = dict(parse_range(r) for r in ranges)
    else:
        ranges = dict(parse_range(f"{k}={':'.join(str(x) for x in v)}") for k, v in ranges.items())
    search = s.get("search", "tpe" if s.get("trials") else "grid")
    if search not in SEARCHES:
        raise SweepError(f"unknown search {search!r}; use one of {', '.join(SEARCHES)}")
    backend = s.get("backend", "ray")
    if backend not in BACKENDS:
        raise SweepError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    direction = s.get("direction", "maximize")
    if direction not in ("maximize", "minimize"):
        raise SweepError(f"direction {direction!r}: use maximize or minimize")
    threads = int(s.get("threads", 1))
    workers = int(s.get("workers") or max(1, (os.cpu_count() or 1) // threads))
    if threads < 1 or workers < 1:
        raise SweepError("workers and threads must be at least 1")
    if search == "grid":
        if ranges or s.get("trials"):
            raise SweepError("--range and --trials need a search: add --search random or --search tpe")
        if not grid:
            raise SweepError("nothing to sweep: give --grid table.key=v1,v2 (or a [sweep.grid] table)")
    elif not s.get("trials") or not s.get("objective") or not (grid or ranges):
        raise SweepError(f"a {search} search needs --trials N, --objective METRIC and a --grid or --range to search")
    seeds = parse_seeds(s["seeds"]) if s.get("seeds") is not None else [int(run["seed"])]
    folder = Path(s.get("output") or f"sweeps/{run['name']}").resolve()
    return Sweep(
        experiment,
        folder,
        overrides,
        grid,
        ranges,
        seeds,
        search,
        s.get("trials"),
        s.get("objective"),
        direction,
        backend,
        workers,
        threads,
        s.get("address"),
        retry_failed,
    )


def _manifest(spec: Sweep, trials: list[Trial]) -> dict[str, Any]:
    """``sweep.json``: what the sweep ran, and its trials in order (the results table's rows)."""
    return {
        "experiment": spec.experiment,
        "set": list(spec.overrides),
        "grid": spec.grid,
        "ranges": {k: list(v) for k, v in spec.ranges.items()},
        "seeds": spec.seeds,
        "search": spec.search,
        "trials": spec.trials,
        "objective": spec.objective,
        "direction": spec.direction,
        "parameters": list(dict.fromkeys([*spec.grid, *spec.ranges])),
        "keys": list(dict.fromkeys(t.key for t in trials)),
    }


__all__ = ["Sweep", "SweepError", "Trial", "run_trial", "sweep"]
