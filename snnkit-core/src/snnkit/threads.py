"""How many torch threads a network steps with (``Network(threads=...)``, ``[run] threads``).

A step is many small operations; on CPU their thread barriers cost more than a second thread gains
unless the batch is large, and when another process keeps a core busy, two threads wait on each other
at every barrier (20 to 60 times slower: ``benchmarks/threads.py``, ``benchmarks/README.md``).
"""

from __future__ import annotations

import os
import time

#: The settings ``threads`` accepts besides a number: choose from the batch size and the load, or
#: leave torch's own setting alone.
AUTO = "auto"


def check(setting: object) -> int | str | None:
    """``setting`` if it is a valid thread setting (a positive number, ``"auto"`` or None), else an error."""
    if (
        setting is None
        or setting == AUTO
        or (isinstance(setting, int) and not isinstance(setting, bool) and setting >= 1)
    ):
        return setting  # type: ignore[return-value]
    raise ValueError(f'threads must be a number of threads (at least 1), "auto" or None, got {setting!r}')


def choose(setting: int | str, batch_size: int) -> int:
    """The threads for ``setting``: the number itself; for ``"auto"``, one thread at batch size 1,
    else the cores other processes leave free now (measured over 0.1 s)."""
    if isinstance(setting, int):
        return setting
    if batch_size == 1:
        return 1
    return free_cores()


def free_cores() -> int:
    """The cores other processes leave free now (at least one), measured over 0.1 s at most once
    every :data:`REMEASURE` seconds."""
    global _measured
    now = time.monotonic()
    if _measured is None or now - _measured[0] > REMEASURE:
        _measured = (now, busy_cores())
    cores = os.cpu_count() or 1
    return max(1, min(cores, round(cores - _measured[1])))


#: Synapses in one connection from which "auto" gives a batch-1 network the free cores too: its
#: step's own work then outweighs the thread barriers (``benchmarks/threads.py``: pair STDP on
#: 4000 x 4000, 1000 steps, 2.44 s on one idle thread, 1.51 s on two; 2.24 s and 15.5 s beside a
#: busy process).
LARGE = 2_000_000


#: Seconds a measurement of the load stands for "auto" (networks built one after another share it).
REMEASURE = 10.0
_measured: tuple[float, float] | None = None


def busy_cores(interval: float = 0.1) -> float:
    """How many cores other processes keep busy now (this one sleeps while it measures): from
    ``/proc/stat`` on Linux, else the 1-minute load average, else none."""

    def times() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # all, idle + iowait

    try:
        total0, idle0 = times()
        time.sleep(interval)
        total1, idle1 = times()
        return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / max(total1 - total0, 1))
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
