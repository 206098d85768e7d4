"""The README's commands and script can never drift from the code."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_script_is_the_quickstart_example():
    assert blocks("python")[0] == (ROOT / "examples" / "quickstart.py").read_text()


def test_quickstart_runs_and_prints_spike_counts():
    result = subprocess.run(
        [sys.executable, "examples/quickstart.py"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert int(lines[0].removeprefix("input spikes: ")) > 0
    counts = [int(c) for c in lines[1].removeprefix("output spikes per neuron: ").strip("[]").split(",")]
    assert len(counts) == 10 and all(c > 0 for c in counts)
    rerun = subprocess.run([sys.executable, "examples/quickstart.py"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.stdout == result.stdout  # the seed repeats the run exactly


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    install, test = blocks("sh")[:2]
    assert install.strip() == "pip install ./snnkit-core ./snnkit-plugins ./snnkit-cli && snnkit run poisson-lif-demo"
    assert test.strip() == "pip install nox && nox -s tests"
    assert test.strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_python_api_snippet_runs():
    namespace: dict = {}
    exec(blocks("python")[1], namespace)
    assert namespace["layer"].shape == (100,)


def test_the_complete_example_in_docs_experiments_is_the_shipped_demo():
    import tomllib

    text = (ROOT / "docs" / "experiments.md").read_text()
    block = text.split("This is the shipped `poisson-lif-demo`:\n\n```toml\n", 1)[1].split("```", 1)[0]
    shipped = ROOT / "snnkit-plugins" / "src" / "snnkit_plugins" / "experiments" / "poisson_lif_demo.toml"
    assert tomllib.loads(block) == tomllib.loads(shipped.read_text())
