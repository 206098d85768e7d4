import itertools
import os
import textwrap

import pytest

from snnkit import PluginManager

# figures are drawn to files in tests, whatever display the machine has (the live-window test sets its own)
os.environ.setdefault("MPLBACKEND", "Agg")


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


_counter = itertools.count()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Returns ``install(dist, version, {entry point: module source})`` writing to a fake site dir."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("SNNKIT_DISABLE_PLUGINS", raising=False)

    def install(dist: str, version: str, plugins: dict[str, str]) -> dict[str, str]:
        modules = {}
        lines = ["[snnkit]"]
        for ep, source in plugins.items():
            module = f"fake_snnkit_plugin_{next(_counter)}"
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
            lines.append(f"{ep} = {module}")
            modules[ep] = module
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        return modules

    return install
