"""The plugin manager: finds plugins through the ``snnkit`` entry-point group and resolves registries.

Built-in components in ``snnkit-plugins`` are found exactly like a third-party package's: through
``[project.entry-points.snnkit]`` in its ``pyproject.toml``. The core never imports them.

>>> from snnkit.plugins import PluginManager
>>> plugins = PluginManager()
>>> plugins.load_setuptools_entrypoints()  # doctest: +SKIP
>>> plugins.build("neurons", "lif", 10)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.metadata
import inspect
import os
import re
import traceback
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import pluggy

from snnkit import hookspecs
from snnkit.errors import InvalidNameError, PluginHookError, UnknownComponentError, closest
from snnkit.registry import KINDS, Component, Provider, Registry, check_kind

ENTRY_POINT_GROUP = "snnkit"
DISABLE_VARIABLE = "SNNKIT_DISABLE_PLUGINS"


class PluginLoadWarning(UserWarning):
    """A plugin failed to load or register; the others keep working."""


class PluginFailure(NamedTuple):
    """A plugin that could not be imported or whose hook raised."""

    plugin: str
    distribution: str
    version: str
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} from {self.distribution} {self.version}: {self.error}"


def disabled_plugins() -> list[str]:
    """Entry-point names listed in ``SNNKIT_DISABLE_PLUGINS`` (comma-separated)."""
    return [n.strip() for n in os.environ.get(DISABLE_VARIABLE, "").split(",") if n.strip()]


class PluginManager(pluggy.PluginManager):
    """A pluggy plugin manager for the ``snnkit`` hooks, with registries of components by kind.

    Registries are resolved once, on first use, and cached until a plugin is added or removed:
    pluggy is never called inside the simulation loop.
    """

    def __init__(self) -> None:
        super().__init__("snnkit")
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self._providers: dict[str, Provider] = {}
        self._registries: dict[str, Registry[Any]] = {}

    # -- loading ---------------------------------------------------------------------------------

    def load_setuptools_entrypoints(self, group: str = ENTRY_POINT_GROUP, name: str | None = None) -> int:
        """Import and register every plugin of the entry-point ``group``; return how many loaded.

        Unlike pluggy's version, a plugin that fails to import is recorded in :attr:`failures` (with
        its distribution and the error) and warned about, and loading goes on with the others.
        Entry points named in ``SNNKIT_DISABLE_PLUGINS`` are blocked.
        """
        for blocked in disabled_plugins():
            self.set_blocked(blocked)
        count = 0
        for dist in importlib.metadata.distributions():
            points = [ep for ep in dist.entry_points if ep.group == group and name in (None, ep.name)]
            if not points:
                continue  # reading a distribution's metadata costs more than all the rest: only for ours
            dist_name, version = dist.metadata["name"], dist.version
            for ep in points:
                if self.is_blocked(ep.name):
                    continue
                if self.has_plugin(ep.name):
                    owner = self._providers.get(ep.name)
                    if owner is not None and owner.distribution != dist_name:
                        self._fail(ep.name, dist_name, version, f"entry point name already used by {owner}")
                    continue  # the same distribution seen twice on sys.path
                try:
                    plugin = ep.load()
                except Exception as exc:
                    self._fail(ep.name, dist_name, version, f"{type(exc).__name__}: {exc}")
                    continue
                self._providers[ep.name] = Provider(dist_name, version, ep.name)
                try:
                    self.register(plugin, name=ep.name)
                except (PluginHookError, pluggy.PluginValidationError) as exc:
                    del self._providers[ep.name]
                    self._fail(ep.name, dist_name, version, _hook_problem(self, ep.name, exc))
                    continue
                count += 1
        return count

    def call_each(self, hook_name: str, after: Callable[[Provider], None] | None = None, **kwargs: Any) -> None:
        """Call every plugin's implementation of ``hook_name`` on its own: one that raises is
        recorded in :attr:`failures` (with its distribution) and the others still run;
        ``after(provider)`` follows each one that succeeded."""
        for impl in getattr(self.hook, hook_name).get_hookimpls():
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                if after is not None:
                    after(self._provider(impl.plugin_name))
            except Exception as exc:
                self.report_failure(
                    impl.plugin_name,
                    f"{hook_name} raised {type(exc).__name__}: {exc} (at {_where(exc)}); the plugin's other"
                    f" hooks still work, or disable it with {DISABLE_VARIABLE}={impl.plugin_name}",
                )

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register ``plugin`` (a module or object with ``snnkit_*`` hook functions).

        Raises :class:`PluginHookError` when it implements a hook that does not exist.
        """
        registered = super().register(plugin, name)
        if registered is not None:
            known = [h for h, caller in vars(self.hook).items() if caller.spec is not None]
            for hook_name in dir(plugin):
                if _looks_like_hook(plugin, hook_name) and hook_name not in known:
                    self.unregister(plugin)
                    raise PluginHookError(registered, str(self._provider(registered)), hook_name, known)
            self._registries.clear()
        return registered

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        self._registries.clear()
        return super().unregister(plugin, name)

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        """Accept ``snnkit_*`` functions without the ``@hookimpl`` marker, as pytest does."""
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and _looks_like_hook(plugin, name):
            return {}
        return opts

    # -- registries ------------------------------------------------------------------------------

    def registry(self, kind: str) -> Registry[Any]:
        """The registry of ``kind``, filled by every plugin's ``snnkit_register_<kind>`` hook."""
        kind = check_kind(kind)
        if kind not in self._registries:
            registry: Registry[Any] = Registry(kind)
            for impl in getattr(self.hook, f"snnkit_register_{kind}").get_hookimpls():
                with registry.providing(self._provider(impl.plugin_name)):
                    try:
                        impl.function(**{arg: registry for arg in impl.argnames})
                    except InvalidNameError as exc:
                        provider = self._provider(impl.plugin_name)
                        if provider.is_local:
                            raise  # registered in the caller's own code: tell them at once
                        self._fail(impl.plugin_name, provider.distribution, provider.version, str(exc))
                    except Exception as exc:
                        provider = self._provider(impl.plugin_name)
                        self._fail(
                            impl.plugin_name,
                            provider.distribution,
                            provider.version,
                            f"snnkit_register_{kind} raised {type(exc).__name__}: {exc}",
                        )
            self._registries[kind] = registry
        return self._registries[kind]

    def components(self, kind: str | None = None) -> list[Component[Any]]:
        """Every registered component, or those of one ``kind``, sorted by kind and name."""
        kinds = [check_kind(kind)] if kind else list(KINDS)
        return [c for k in kinds for c in self.registry(k)]

    def get(self, kind: str, name: str) -> Component[Any]:
        """The component ``name`` of ``kind``; the error lists the known names and the closest, and
        the plugins that failed to load or are disabled, one of which may have provided it."""
        try:
            return self.registry(kind).get(name)
        except UnknownComponentError as exc:
            note, suggest = self.unknown_note(name)
            if not note:
                raise
            raise UnknownComponentError(
                exc.kind, KINDS[exc.kind or kind], name, exc.known, note=note, suggest=suggest
            ) from None

    def build(self, kind: str, name_or_object: Any, *args: Any, **params: Any) -> Any:
        """Build component ``name_or_object`` of ``kind`` with ``params`` (objects pass through)."""
        return self.registry(kind).build(name_or_object, *args, **params)

    # -- helpers ---------------------------------------------------------------------------------

    def _provider(self, plugin_name: str) -> Provider:
        return self._providers.get(plugin_name) or Provider.local(plugin_name)

    def _fail(self, plugin: str, distribution: str, version: str, error: str) -> None:
        failure = PluginFailure(plugin, distribution, version, error)
        if failure not in self.failures:
            self.failures.append(failure)
            try:
                warnings.warn(str(failure), PluginLoadWarning, stacklevel=3)
            except Warning:  # warnings made errors (-W error): one broken plugin must not stop the rest
                pass

    def report_failure(self, plugin: str, error: str) -> None:
        """Record that ``plugin`` (an entry-point name) failed at ``error``; listed by ``snnkit
        plugins`` and warned about, while everything else keeps working."""
        provider = self._provider(plugin)
        self._fail(plugin, provider.distribution, provider.version, error)

    def unknown_note(self, name: str) -> tuple[str, bool]:
        """What to add to an "unknown name" error: plugins that failed to load or are disabled
        (one may have provided ``name``), and whether to suggest similar names."""
        if name in disabled_plugins():  # built-in entry points are named after their component
            return f"the plugin {name!r} is disabled by {DISABLE_VARIABLE}; remove it from there to use it", False
        notes = [f"plugin {f.plugin!r} from {f.distribution} failed to load ({f.error})" for f in self.failures]
        notes += [f"plugin {p!r} is disabled by {DISABLE_VARIABLE}" for p in disabled_plugins()]
        return "; ".join(notes), True


def _hook_problem(manager: PluginManager, plugin: str, exc: Exception) -> str:
    """What is wrong with a plugin's hook, and the fix, in one line."""
    disable = f"or disable it with {DISABLE_VARIABLE}={plugin}"
    if isinstance(exc, PluginHookError):
        known = [h for h, caller in vars(manager.hook).items() if caller.spec is not None]
        hint = closest(exc.hook, known)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"implements unknown hook {exc.hook!r}{suggestion} Fix the plugin, {disable}."
    hook = next((h for h in vars(manager.hook) if h in str(exc)), "a hook")
    given = re.search(r"Argument\(s\) (\{.*?\})", str(exc))
    spec = getattr(manager.hook, hook).spec if hook != "a hook" else None
    takes = f"{hook} takes ({', '.join(spec.argnames)})" if spec else "check the hook's arguments"
    names = given.group(1) if given else "?"
    return f"{hook}'s implementation names argument(s) {names}, but {takes}: rename them, {disable}."


def _where(exc: BaseException) -> str:
    """``file:line`` of the innermost frame of ``exc``'s traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _looks_like_hook(plugin: object, name: str) -> bool:
    """A function named ``snnkit_*`` (not an imported module such as ``snnkit_plugins``)."""
    return name.startswith("snnkit_") and inspect.isroutine(getattr(plugin, name, None))


_default: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, loaded from entry points on first use.

    Scripts use it implicitly (``Network.add_layer("exc", "lif", ...)``); tests and tools that must
    not share state create their own :class:`PluginManager` instead.
    """
    global _default
    if _default is None:
        manager = PluginManager()
        manager.load_setuptools_entrypoints()
        _default = manager
    return _default
