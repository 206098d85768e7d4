"""docs/gradient-training.md's script is examples/gradient_training.py, and it learns."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_script_is_the_example():
    doc = (ROOT / "docs" / "gradient-training.md").read_text()
    first = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)[0]
    assert first == (ROOT / "examples" / "gradient_training.py").read_text()


def test_the_example_lowers_its_loss_and_repeats_exactly():
    def run() -> list[float]:
        result = subprocess.run(
            [sys.executable, "examples/gradient_training.py"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return [float(line.rsplit(" ", 1)[1]) for line in result.stdout.splitlines()]

    first, last = run()
    assert last < 0.8 * first
    assert run() == [first, last]  # the seed repeats the run exactly
