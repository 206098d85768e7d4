import pytest

from snnkit import PluginManager


@pytest.fixture
def entry_point_plugins() -> PluginManager:
    """A fresh plugin manager loaded from the installed ``snnkit`` entry points."""
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    return manager
