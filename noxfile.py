"""Development sessions: `nox -s tests` is the one CI runs (see README)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PACKAGES = ["./snnkit-core[nir,sweep]", "./snnkit-plugins[all]", "./snnkit-cli"]
EXAMPLE_PLUGIN = "./tests/fixtures/snnkit-example-plugin"


def install_snnkit(session: nox.Session, *extra: str) -> None:
    """Install the three distributions (editable, so tests see the working tree) and ``extra``."""
    editable = [arg for package in PACKAGES for arg in ("-e", package)]
    # hatchling and editables: tests/test_writing_plugins_doc.py builds the docs' package offline
    session.install(*editable, EXAMPLE_PLUGIN, "pytest", "hatchling", "editables", *extra)


@nox.session
def tests(session: nox.Session) -> None:
    """The full test suite, except tests marked slow or interop."""
    install_snnkit(session)
    session.run("pytest", "-m", "not slow and not interop", *session.posargs)


@nox.session
def slow(session: nox.Session) -> None:
    """Only the tests marked slow."""
    install_snnkit(session)
    session.run("pytest", "-m", "slow", *session.posargs)


#: The NIR peers the interop tests run (docs/nir.md lists the versions tested).
INTEROP = ["snntorch==1.0.0", "nirtorch==2.6"]


@nox.session
def interop(session: nox.Session) -> None:
    """NIR graphs exchanged with snnTorch: `pytest -m interop`. Norse 1.1 installs but is not tested:
    its NIR import ignores r and its export writes tau = dt / tau_mem_inv (docs/nir.md)."""
    install_snnkit(session, *INTEROP)
    session.run("pytest", "-m", "interop", *session.posargs)


@nox.session
def core(session: nox.Session) -> None:
    """The core alone: it must work with no plugin distribution installed."""
    session.install("-e", "./snnkit-core", "pytest")
    session.run("pytest", "tests/core", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on the core."""
    session.install("-e", "./snnkit-core", "mypy")
    session.run("mypy")


PEERS = ["bindsnet==0.3.4", "brian2==2.9.0", "numpy<2.4", "cython"]


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with BindsNET and Brian2; they print their figures."""
    install_snnkit(session, *PEERS)
    session.run("python", "benchmarks/compare.py", *session.posargs)
    session.run("python", "benchmarks/compare.py", "--stdp", *session.posargs)
