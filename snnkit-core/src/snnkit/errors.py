"""Errors raised by snnkit: one type per failure, each rendering one helpful sentence.

Every error keeps its facts as attributes (``kind``, ``name``, ``known``, ...) so that callers such
as the CLI can act on them without parsing the message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def closest(name: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Return the ``n`` candidates closest to ``name`` (``difflib.get_close_matches``)."""
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    match = closest(name, candidates)
    return f"; did you mean {match[0]!r}?" if match else "."


class SnnkitError(Exception):
    """Base class of every error that snnkit raises on purpose."""


class UnknownKindError(SnnkitError, KeyError):
    """A component kind that does not exist, e.g. ``'neuron'`` for ``'neurons'``."""

    def __init__(self, kind: str, known: Sequence[str]) -> None:
        self.kind, self.known = kind, sorted(known)
        super().__init__(
            f"unknown component kind {kind!r}{_did_you_mean(kind, self.known)} Known kinds: {', '.join(self.known)}."
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _plural(noun: str) -> str:
    """``"neuron model"`` -> ``"neuron models"``, ``"loss"`` -> ``"losses"``."""
    return f"{noun}es" if noun.endswith("s") else f"{noun}s"


class UnknownComponentError(SnnkitError, KeyError):
    """A component name that no plugin registered for that kind."""

    def __init__(
        self, kind: str | None, noun: str, name: str, known: Sequence[str], note: str = "", suggest: bool = True
    ) -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        self.suggestions = closest(name, self.known) if suggest else []
        listing = ", ".join(self.known) if self.known else "none are installed (pip install snnkit-plugins)"
        command = f"snnkit plugins --kind {kind}" if kind else "snnkit plugins"
        hint = _did_you_mean(name, self.known) if suggest else "."
        super().__init__(
            f"unknown {noun} {name!r}{hint} Known {_plural(noun)}: {listing}"
            f" (run `{command}`)." + (f" Note: {note}." if note else "")
        )

    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateComponentError(SnnkitError):
    """Two plugins registered the same name for the same kind."""

    def __init__(self, noun: str, name: str, first: str, second: str, disable: Sequence[str] = ()) -> None:
        self.kind, self.name, self.first, self.second = noun, name, first, second
        how = f"SNNKIT_DISABLE_PLUGINS={','.join(disable)}" if disable else "SNNKIT_DISABLE_PLUGINS"
        super().__init__(
            f"{noun} {name!r} is registered twice: by {first} and by {second}."
            f" Uninstall one, or disable one entry point with {how}."
        )


class InvalidNameError(SnnkitError, ValueError):
    """A registered name that is not lowercase kebab-case."""

    def __init__(self, kind: str, name: object, provider: str) -> None:
        self.kind, self.name, self.provider = kind, name, provider
        super().__init__(
            f"{provider} registered the {kind} component {name!r}: names must be lowercase"
            " kebab-case strings such as 'lif' or 'post-pre'."
        )


class PluginHookError(SnnkitError):
    """A plugin implements a hook that snnkit does not define (usually a misspelling)."""

    def __init__(self, plugin: str, provider: str, hook: str, known: Sequence[str]) -> None:
        self.plugin, self.provider, self.hook = plugin, provider, hook
        super().__init__(
            f"plugin {plugin!r} from {provider} implements unknown hook {hook!r}"
            f"{_did_you_mean(hook, known)} Fix the plugin, or disable it with"
            f" SNNKIT_DISABLE_PLUGINS={plugin}."
        )


class ParameterError(SnnkitError, TypeError):
    """Unknown, missing or mistyped parameters given to a component."""

    def __init__(self, component: str, problem: str, accepted: Sequence[str]) -> None:
        self.component, self.problem, self.accepted = component, problem, list(accepted)
        listing = ", ".join(self.accepted) if self.accepted else "none"
        super().__init__(f"{component}: {problem}. Accepted parameters: {listing}.")


class ComponentUnavailableError(SnnkitError, ImportError):
    """A component whose optional dependency is not installed."""

    def __init__(self, kind: str, name: str, missing: Sequence[str], install: str) -> None:
        self.kind, self.name, self.missing, self.install = kind, name, list(missing), install
        super().__init__(
            f"{kind} component {name!r} needs {', '.join(self.missing)}, which is not installed."
            f" Install it with: {install}"
        )


class ShapeError(SnnkitError, ValueError):
    """A tensor or component whose shape does not fit where it is used."""

    def __init__(self, where: str, expected: object, received: object) -> None:
        self.where, self.expected, self.received = where, expected, received
        super().__init__(f"{where}: expected shape {expected}, received {received}.")


class LossInputError(SnnkitError, ValueError):
    """What a loss was handed cannot be scored: not the output's variables, or labels that are not classes."""


class NetworkError(SnnkitError, ValueError):
    """A network built or run in a way that cannot work (unknown layer, duplicate name, ...)."""


class EnvironmentSetupError(SnnkitError, ValueError):
    """An environment that cannot be made or used as asked (unknown id, unsupported spaces, ...)."""


class NIRError(SnnkitError, ValueError):
    """Base of the errors of NIR export and import (:mod:`snnkit.nirio`)."""


class NIRMissingError(NIRError, ImportError):
    """The optional ``nir`` package is not installed."""

    def __init__(self) -> None:
        self.install = "pip install 'snnkit-core[nir]'"
        super().__init__(
            f"NIR export and import need the package 'nir', which is not installed. Install it with: {self.install}"
        )


class NIRExportError(NIRError):
    """A part of a network that NIR cannot express; names the layer or connection, its plugin and why."""

    def __init__(self, what: str, name: str, component: str, provider: str, reason: str) -> None:
        self.what, self.name, self.component, self.provider, self.reason = what, name, component, provider, reason
        super().__init__(f"cannot export {what} {name!r} ({component!r} from {provider}) to NIR: {reason}.")


class NIRImportError(NIRError):
    """A NIR graph or node that snnkit cannot import (unsupported node type, parameters it cannot hold)."""

    def __init__(self, node: str, node_type: str, reason: str) -> None:
        self.node, self.node_type, self.reason = node, node_type, reason
        where = f"NIR node {node!r} ({node_type})" if node else "NIR graph"
        super().__init__(f"cannot import {where}: {reason}.")


class NIRShapeError(NIRImportError):
    """Two connected NIR nodes whose shapes do not fit."""


class NIRFileError(NIRError):
    """A file that is not a readable NIR graph."""

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path} is not a NIR graph snnkit can read: {reason}.")
