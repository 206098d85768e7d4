"""docs/own-data.md shows examples/own_*.py as they are, and they run and learn."""

import re
import runpy
import tempfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "own-data.md").read_text()
EXAMPLES = ["own_images", "own_tensors", "own_torchvision"]


def test_the_page_shows_the_examples_as_they_are():
    blocks = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    assert blocks == [(ROOT / "examples" / f"{name}.py").read_text() for name in EXAMPLES]


@pytest.mark.parametrize(("name", "least"), [("own_images", 0.75), ("own_tensors", 0.75), ("own_torchvision", 0.0)])
def test_each_example_runs(name, least, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' work folders, kept for the user
    runpy.run_path(str(ROOT / "examples" / f"{name}.py"), run_name="__main__")
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", capsys.readouterr().out).group(1))
    assert least <= accuracy <= 1.0


def test_the_event_data_example_table_reads_nmnist_files(entry_point_plugins, tmp_path):
    pytest.importorskip("tonic")
    from tests.plugins.event_files import write_nmnist

    block = tomllib.loads(re.findall(r"```toml\n(.*?)```", DOC, flags=re.DOTALL)[0])
    events = [(5, 6, 1, 149_500), (4, 6, 1, 150_000), (30, 30, 0, 200_000)]  # denoise keeps only the second
    write_nmnist(tmp_path, "Train", {"00001": (2, events)})
    params = {k: v for k, v in block["dataset"].items() if k != "plugin"}
    dataset = entry_point_plugins.build("datasets", block["dataset"]["plugin"], root=str(tmp_path), **params)
    frames = dataset[0][0]
    assert frames.shape == (block["run"]["time"], 2, 17, 17) and frames[150, 1, 3, 2] == 1 and frames.sum() == 1
    encoder = entry_point_plugins.build("encoders", block["encoder"]["plugin"], bin_width=block["encoder"]["bin_width"])
    spikes = encoder(frames[None], block["run"]["time"], dt=block["run"]["dt"])
    assert spikes.shape == (300, 1, 2, 17, 17) and spikes[150, 0, 1, 3, 2] and spikes.sum() == 1
