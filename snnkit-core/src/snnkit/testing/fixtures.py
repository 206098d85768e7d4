"""The pytest plugin that ``snnkit-core`` installs (entry point ``pytest11``), so that a plugin
author's tests need no fixture copied from snnkit's own tests."""

from __future__ import annotations

import pytest

from snnkit.plugins import PluginManager


@pytest.fixture
def snnkit_plugins() -> PluginManager:
    """A fresh plugin manager loaded from the installed ``snnkit`` entry points: the components
    users will find, including yours once your package is installed (``pip install -e .``). Pass
    it on with ``Network(plugins=snnkit_plugins)``."""
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    return manager
