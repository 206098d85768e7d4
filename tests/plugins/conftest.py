import pytest

from snnkit import PluginManager


@pytest.fixture
def plugins(entry_point_plugins) -> PluginManager:
    return entry_point_plugins
