"""snnkit.recording.open asks the installed recorders which wrote a file: a third-party recorder's
runs are read like the built-in one's."""

from types import SimpleNamespace

import pytest
import torch

from snnkit import PluginManager
from snnkit import recording as rec
from snnkit.recorders import Recorder


class TextRecording(rec.Recording):
    def __init__(self, path):
        self.path = path

    attrs = property(lambda self: {"status": "complete", "name": self.path.read_text()})
    experiment = property(lambda self: "[run]\n")

    def monitors(self):
        return {}

    def events(self, monitor):
        raise rec.RecordingError(monitor)

    spikes = values = events

    def metrics(self):
        return {"rate": (torch.arange(2), torch.tensor([1.0, 2.0]))}

    def weights(self):
        return {}

    arrays = checkpoint = weights

    def tree(self):
        return []


class TextRecorder(Recorder):
    """Writes nothing; reads ``.txt`` files. Stands for a third-party recorder."""

    @classmethod
    def recognizes(cls, path):
        return path.suffix == ".txt"

    @classmethod
    def open(cls, path):
        return TextRecording(path)

    start = resume = monitor = log = snapshot = record_array = checkpoint = flush = finish = None


def test_the_recorder_that_recognizes_a_file_reads_it(tmp_path):
    plugins = PluginManager()
    plugins.register(SimpleNamespace(snnkit_register_recorders=lambda registry: registry.add("text", TextRecorder)))
    path = tmp_path / "run.txt"
    path.write_text("my-run")
    recording = rec.open(path, plugins)
    assert isinstance(recording, TextRecording)
    assert (recording.status, recording.attrs["name"], recording.writer) == ("complete", "my-run", None)
    assert recording.metrics()["rate"][1].tolist() == [1.0, 2.0]
    other = tmp_path / "run.bin"
    other.write_bytes(b"\0")
    with pytest.raises(rec.RecordingError, match=r"not a recording any installed recorder wrote \(recorders: text\)"):
        rec.open(other, plugins)
