"""Refusing work the machine cannot hold: a clear error before a huge allocation, instead of an
allocator traceback or the kernel's out-of-memory killer halfway through."""

from __future__ import annotations

import os

from snnkit.errors import SnnkitError


class ResourceError(SnnkitError, MemoryError):
    """A network or tensor larger than this machine's memory."""


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``, else all physical
    memory, else unlimited where neither can be read)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def check_memory(nbytes: int, what: str) -> None:
    """Raise :class:`ResourceError` if ``nbytes`` for ``what`` would not fit in available memory."""
    available = available_memory()
    if nbytes > available:
        raise ResourceError(
            f"{what} would need {describe_bytes(nbytes)} of memory and this machine has"
            f" {describe_bytes(available)} available; make it smaller"
        )


def describe_bytes(nbytes: int) -> str:
    """``2.1 GB``, ``350.0 kB``: a size for an error message."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes / 1e3:.1f} kB"


__all__ = ["ResourceError", "available_memory", "check_memory", "describe_bytes"]
