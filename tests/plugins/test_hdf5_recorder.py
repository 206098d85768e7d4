"""The hdf5 recorder against the recorder contract."""

from snnkit.testing import RecorderContract


class TestHDF5RecorderContract(RecorderContract):
    name = "hdf5"


class TestUncompressedHDF5RecorderContract(RecorderContract):
    name = "hdf5"
    params = {"compression": "none", "chunk_steps": 2}
