import pytest

from snnkit import PluginManager


@pytest.fixture
def entry_point_plugins() -> PluginManager:
    """A fresh plugin manager loaded from the installed ``snnkit`` entry points."""
    manager = PluginManager()
    manager.load_setuptools_entrypoints()
    return manager


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``cuda`` where no CUDA GPU is available."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
