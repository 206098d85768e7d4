"""The example third-party plugin in tests/fixtures, installed like any package by the test session."""

import pytest
import torch
from click.testing import CliRunner

from snnkit import Network
from snnkit.testing import NeuronContract

pytest.importorskip("snnkit_example", reason="install tests/fixtures/snnkit-example-plugin (nox -s tests does)")


def test_discovered_with_its_distribution(snnkit_plugins):
    qif = snnkit_plugins.get("neurons", "qif")
    assert (qif.provider.distribution, qif.provider.version) == ("snnkit-example-plugin", "0.3.0")
    assert qif.summary.startswith("Quadratic integrate-and-fire")


def test_listed_by_the_cli_with_its_distribution(snnkit_plugins):
    from snnkit_cli.main import cli

    result = CliRunner().invoke(cli, ["plugins", "--kind", "neurons"], obj=snnkit_plugins)
    row = next(line for line in result.output.splitlines() if line.startswith("neurons  qif"))
    assert "snnkit-example-plugin 0.3.0" in row


class TestQIFContract(NeuronContract):
    name = "qif"
    drive = 100.0


def test_used_by_name_in_a_network(snnkit_plugins):
    net = Network(plugins=snnkit_plugins)
    net.add_layer("in", "input", 2)
    net.add_layer("qif", "qif", 1)
    net.add_connection("in", "qif", "dense", weight=torch.tensor([[4.0], [0.0]]))
    net.add_monitor("v", "state", target="qif", variables=["v", "s"])
    x = torch.zeros(3, 1, 2)
    x[0, 0, 0] = 1.0
    net.run({"in": x}, time=3)
    v = net.monitors["v"].get("v").flatten().tolist()
    # step 1 receives 4 mV at rest; step 2 relaxes by a (v - rest)(v - crit) dt / tau
    assert v[0] == -65.0 and v[1] == -61.0
    assert v[2] == pytest.approx(-61.0 + 0.05 * 4.0 * (-11.0) / 10.0)


def test_the_docs_example_test_passes_when_copied_into_a_package_of_its_own(tmp_path):
    """The test shown in docs/writing-plugins.md, run by pytest outside snnkit's own test tree:
    it needs only the `snnkit_plugins` fixture that snnkit-core's pytest plugin provides."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    docs = (Path(__file__).parents[1] / "docs" / "writing-plugins.md").read_text()
    block = re.search(r"such a test needs nothing but pytest:\n\n```python\n(.*?)```", docs, re.S)
    assert block is not None, "the example test is gone from docs/writing-plugins.md"
    (tmp_path / "test_qif.py").write_text(block.group(1))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_qif.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
