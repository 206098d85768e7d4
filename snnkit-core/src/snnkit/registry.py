"""Registries of components by kind, filled by plugins' ``snnkit_register_<kind>`` hooks.

A :class:`Component` is everything snnkit knows about one registered factory: its name, kind,
summary, parameters with defaults (read from the factory's signature), the distribution that
provided it and whether its optional dependencies are installed.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from snnkit.errors import (
    ComponentUnavailableError,
    DuplicateComponentError,
    InvalidNameError,
    ParameterError,
    SnnkitError,
    UnknownComponentError,
    UnknownKindError,
    closest,
)

#: Component kinds and the noun used for one component of that kind in messages.
KINDS: dict[str, str] = {
    "neurons": "neuron model",
    "connections": "connection type",
    "learning_rules": "learning rule",
    "encoders": "encoder",
    "datasets": "dataset",
    "environments": "environment",
    "actions": "action function",
    "monitors": "monitor",
    "recorders": "recorder",
    "plots": "plot",
    "models": "model",
    "evaluations": "evaluation",
    "pipelines": "pipeline",
    "experiments": "experiment",
    "surrogates": "surrogate gradient",
    "losses": "loss",
}

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

T = TypeVar("T")


def check_kind(kind: str) -> str:
    """Return ``kind`` normalised (``learning-rules`` -> ``learning_rules``), or raise."""
    normalised = kind.replace("-", "_")
    if normalised not in KINDS:
        raise UnknownKindError(kind, list(KINDS))
    return normalised


class _Required:
    def __repr__(self) -> str:
        return "<required>"


#: Default of a parameter that has none and must be given.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Parameter:
    """One parameter of a component's factory."""

    name: str
    default: Any
    annotation: str

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Provider:
    """Where a component came from: a distribution (or a plugin registered in code)."""

    distribution: str
    version: str
    plugin: str

    @classmethod
    def local(cls, plugin: str) -> Provider:
        """A plugin registered in code with ``PluginManager.register``, not through a distribution."""
        return cls("(registered in code)", "", plugin)

    @property
    def is_local(self) -> bool:
        return self.distribution == "(registered in code)"

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}".strip()


LOCAL = Provider.local("local")


@dataclass(frozen=True)
class Component(Generic[T]):
    """A registered factory with what it takes to describe, check and build it."""

    name: str
    kind: str
    factory: Any
    summary: str
    doc: str
    parameters: tuple[Parameter, ...]
    provider: Provider
    missing: tuple[str, ...] = ()
    install: str = ""
    accepts_any: bool = field(default=False, repr=False)
    requires: tuple[str, ...] = ()  # modules it imports when built (h5py, torchvision, ...)
    default: bool = False  # the plugin offers it as its kind's default (e.g. the recorder)

    @property
    def available(self) -> bool:
        """Whether the optional dependencies this component needs are installed."""
        return not self.missing

    @property
    def label(self) -> str:
        return f"{KINDS[self.kind]} {self.name!r}"

    def check_parameters(self, params: Mapping[str, Any], given: Sequence[str] = ()) -> None:
        """Raise :class:`ParameterError` for unknown, missing or mistyped parameters.

        ``given`` names parameters that the caller supplies itself (e.g. a layer's ``shape``).
        """
        accepted = [p.name for p in self.parameters]
        if not self.accepts_any:
            for key in params:
                if key not in accepted:
                    match = closest(key, accepted)
                    hint = f" (did you mean {match[0]!r}?)" if match else ""
                    raise ParameterError(self.label, f"unknown parameter {key!r}{hint}", accepted)
        missing = [p.name for p in self.parameters if p.required and p.name not in params and p.name not in given]
        if missing:
            raise ParameterError(self.label, f"missing required parameter(s) {', '.join(missing)}", accepted)
        hints = _type_hints(self.factory)
        for key, value in params.items():
            if _has_nan(value):
                raise ParameterError(self.label, f"parameter {key!r} is nan: give a number", accepted)
            expected = hints.get(key)
            if expected is not None and not _matches(value, expected):
                raise ParameterError(
                    self.label,
                    f"parameter {key!r} must be {_describe(expected)}, got {type(value).__name__} {value!r}",
                    accepted,
                )

    def build(self, *args: Any, **params: Any) -> T:
        """Check ``params`` and call the factory; non-callable factories are returned as they are."""
        if not self.available:
            raise ComponentUnavailableError(self.kind, self.name, self.missing, self.install)
        if not callable(self.factory):
            if args or params:
                raise ParameterError(self.label, "takes no parameters", [])
            return typing.cast(T, self.factory)
        positional = [p.name for p in self.parameters[: len(args)]]
        self.check_parameters(params, given=positional)
        return typing.cast(T, self.factory(*args, **params))


class Registry(Generic[T]):
    """The components of one kind. Plugins call :meth:`add`; users call :meth:`get` and :meth:`build`."""

    def __init__(self, kind: str) -> None:
        self.kind = check_kind(kind)
        self.noun = KINDS[self.kind]
        self._components: dict[str, Component[T]] = {}
        self.conflicts: dict[str, list[Provider]] = {}  # name -> every provider that registered it
        self._provider = LOCAL

    @contextmanager
    def providing(self, provider: Provider) -> Iterator[None]:
        """Attribute components added inside the block to ``provider`` (used by the plugin manager)."""
        previous, self._provider = self._provider, provider
        try:
            yield
        finally:
            self._provider = previous

    def add(
        self,
        name: str,
        factory: Callable[..., T] | Any,
        *,
        summary: str | None = None,
        requires: Sequence[str] = (),
        extra: str | None = None,
        default: bool = False,
    ) -> None:
        """Register ``factory`` under ``name``.

        Args:
            name: lowercase kebab-case name, unique within this kind.
            factory: a class or function that builds the component (or, for experiments, a path).
            summary: one-line description; defaults to the first line of the factory's docstring.
            requires: modules the component imports at build time; when one is missing the
                component stays listed but unavailable.
            extra: the provider's extra that installs ``requires`` (``pip install 'dist[extra]'``).
            default: offer it as the default of its kind, used when an experiment's table names
                no plugin (the built-in ``simulate`` pipeline and ``hdf5`` recorder are).
        """
        provider = self._provider
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise InvalidNameError(self.kind, name, str(provider) or provider.plugin)
        if name in self._components:  # refused when the name is used, so everything else still works
            self.conflicts.setdefault(name, [self._components[name].provider]).append(provider)
            return
        doc = inspect.cleandoc(factory.__doc__) if callable(factory) and factory.__doc__ else ""
        missing = tuple(m for m in requires if importlib.util.find_spec(m) is None)
        if extra and not provider.is_local:
            install = f"pip install '{provider.distribution}[{extra}]'"
        else:
            install = "pip install " + " ".join(requires)
        parameters, accepts_any = _parameters(factory)
        self._components[name] = Component(
            name=name,
            kind=self.kind,
            factory=factory,
            summary=summary or (doc.splitlines()[0] if doc else "(no description)"),
            doc=doc,
            parameters=parameters,
            provider=provider,
            missing=missing,
            install=install if missing else "",
            accepts_any=accepts_any,
            requires=tuple(requires),
            default=default,
        )

    def default(self) -> Component[T] | None:
        """The component a plugin offers as this kind's default, if exactly one does."""
        offered = [c for c in self._components.values() if c.default]
        if len(offered) > 1:
            names = " and ".join(f"{c.name!r} ({_who(c.provider)})" for c in offered)
            raise SnnkitError(f"several {self.kind} are offered as the default: {names}; name the one to use")
        return offered[0] if offered else None

    def get(self, name: str) -> Component[T]:
        """The component called ``name``, or :class:`UnknownComponentError` listing the known ones
        (:class:`DuplicateComponentError` if two plugins registered it)."""
        if name in self.conflicts:
            first, *others = self.conflicts[name]
            raise DuplicateComponentError(
                self.noun, name, _who(first), " and ".join(_who(p) for p in others), [p.plugin for p in others]
            )
        try:
            return self._components[name]
        except KeyError:
            raise UnknownComponentError(self.kind, self.noun, name, list(self._components)) from None

    def build(self, name_or_object: str | T, *args: Any, **params: Any) -> T:
        """Build the component called ``name_or_object``, or return an object as it is."""
        if isinstance(name_or_object, str):
            return self.get(name_or_object).build(*args, **params)
        if params:
            raise ParameterError(
                f"{self.noun} object {type(name_or_object).__name__}",
                f"parameters {', '.join(params)} can only be given with a name",
                [],
            )
        return name_or_object

    def names(self) -> list[str]:
        return sorted(self._components)

    def __iter__(self) -> Iterator[Component[T]]:
        return iter(sorted(self._components.values(), key=lambda c: c.name))

    def __contains__(self, name: object) -> bool:
        return name in self._components

    def __len__(self) -> int:
        return len(self._components)


def _has_nan(value: Any) -> bool:
    """NaN is never a meaningful parameter: it passes every range check and makes a run all NaN."""
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    return False


def _who(provider: Provider) -> str:
    if provider.is_local:
        return f"plugin {provider.plugin!r} registered in code"
    return f"distribution {provider.distribution} {provider.version} (entry point {provider.plugin!r})"


def _parameters(factory: Any) -> tuple[tuple[Parameter, ...], bool]:
    if not callable(factory):
        return (), False
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return (), True
    params, accepts_any = [], False
    for p in signature.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            accepts_any = True
        elif p.kind is not p.VAR_POSITIONAL:
            default = REQUIRED if p.default is p.empty else p.default
            params.append(Parameter(p.name, default, _annotation_text(p.annotation, p.empty)))
    return tuple(params), accepts_any


def _annotation_text(annotation: Any, empty: Any) -> str:
    """An annotation as written (``float``, ``Sequence[int]``), whether or not the module postpones
    annotations: ``str(float)`` would be ``<class 'float'>``."""
    if annotation is empty:
        return ""
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__qualname__
    text = str(annotation)
    for prefix in ("typing.", "collections.abc.", "builtins."):
        text = text.replace(prefix, "")
    return text


def _type_hints(factory: Any) -> dict[str, Any]:
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable annotations: skip type checks rather than fail
        return {}


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint``; unknown annotations always fit."""
    if hint is Any:
        return True
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (tuple, list, Sequence):
        return isinstance(value, (tuple, list))
    if hint is type(None):
        return value is None
    if inspect.isclass(hint) and origin is None:
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "None"
    if typing.get_origin(hint) in (list, Sequence) and typing.get_args(hint):
        return f"a list of {_describe(typing.get_args(hint)[0])}"  # e.g. learnable=["tau_mem"]
    return getattr(hint, "__name__", str(hint))
