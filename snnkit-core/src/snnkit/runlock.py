"""One writer per recording: a lock file beside the output, held for the whole run.

``RUN.h5.lock`` holds the writer's process id, host and start time, and is locked with
``flock`` while the run goes on. The operating system drops the lock when the process ends, however
it ends (even ``kill -9``), so a lock file left behind by a killed run does not block the next one,
and :func:`writer` tells a run that is still going from one that died. Where ``fcntl`` does not
exist (Windows) runs are not locked.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snnkit.errors import SnnkitError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class OutputError(SnnkitError, OSError):
    """An output path that cannot be recorded to, or that another run is writing."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class RunLock:
    """Hold the lock of the recording at ``path`` (``with RunLock(path): ...``); raise
    :class:`OutputError` naming the other process if a run holds it already."""

    def __init__(self, path: Path) -> None:
        self.path, self.lock = Path(path), lock_path(Path(path))
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        if fcntl is None:
            return self
        for _ in range(10):  # another process may remove the file between our open and our flock
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise OutputError(f"cannot record to {self.path}: {exc.strerror} ({exc.filename})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(f"{self.path} is being written by {_describe(writer(self.path))}") from None
            if os.path.exists(self.lock) and os.stat(self.lock).st_ino == os.fstat(fd).st_ino:
                break
            os.close(fd)
        else:  # pragma: no cover - needs a pathological race
            raise OutputError(f"cannot lock {self.lock}: it keeps being replaced")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": datetime.now(UTC).isoformat()}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            self.lock.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


def writer(path: Path) -> dict[str, Any] | None:
    """The process writing the recording at ``path`` (``pid``, ``host``, ``started``), or ``None``
    if no run holds its lock (it finished, or it died)."""
    lock = lock_path(Path(path))
    if fcntl is None or not lock.exists():
        return None
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            info: dict[str, Any] = json.loads(os.read(fd, 4096) or b"{}")
        except ValueError:
            info = {}
        return info
    finally:
        os.close(fd)
    return None


def _describe(info: dict[str, Any] | None) -> str:
    if not info:
        return "another process"
    return f"process {info.get('pid', '?')} on {info.get('host', '?')} (started {info.get('started', '?')})"


__all__ = ["OutputError", "RunLock", "lock_path", "writer"]
