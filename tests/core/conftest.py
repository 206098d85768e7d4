import pytest

from snnkit import PluginManager

from . import toys


@pytest.fixture
def plugins() -> PluginManager:
    """A fresh plugin manager holding only the toy components (no entry points)."""
    manager = PluginManager()
    manager.register(toys, name="toys")
    return manager
