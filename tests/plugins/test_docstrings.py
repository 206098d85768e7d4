"""The ``>>>`` examples in the built-in plugins' docstrings are correct."""

import doctest
import importlib
from importlib.metadata import entry_points

import pytest

MODULES = sorted({ep.value for ep in entry_points(group="snnkit") if ep.value.startswith("snnkit_plugins.")})


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
