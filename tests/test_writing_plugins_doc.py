"""docs/writing-plugins.md, run as written: its file blocks make the package `snnkit-resonate`, its
commands install it into a fresh virtual environment and list it, its script uses it, and its
tests pass there."""

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

DOC = Path(__file__).parents[1] / "docs" / "writing-plugins.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)
#: the example package in tests/fixtures registers a `resonate-and-fire` too; its entry point is blocked here
FIXTURE_RESONATE = "example-resonate-and-fire"


def blocks():
    """``(language, tag, text)`` of every fenced block of the page."""
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in BLOCK.finditer(DOC.read_text())]


def test_every_code_block_is_run_or_marked_illustrative():
    for language, tag, text in blocks():
        if language in ("python", "toml", "sh"):
            assert tag == "run" or tag.startswith("file=") or tag == "illustrative", (
                f"a {language} block without file=, run or illustrative: {text[:60]!r}"
            )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The package written from the page's file blocks, and a venv that sees snnkit's test
    environment (torch, snnkit, pytest, hatchling) and nothing of the package yet."""
    pytest.importorskip("hatchling", reason="building the package without network needs hatchling")
    root = tmp_path_factory.mktemp("walkthrough")
    files: dict[str, str] = {}
    for _, tag, text in blocks():
        if tag.startswith("file="):
            name = tag.removeprefix("file=")
            files[name] = files[name] + "\n\n" + text if name in files else text
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    inner = subprocess.run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = sysconfig.get_paths()["purelib"]
    Path(inner, "_snnkit_tests.pth").write_text(f"import site; site.addsitedir({outer!r})\n")
    # pip and snnkit come from the test environment, and install into and run in this venv
    scripts = {"pip": "from pip._internal.cli.main import main", "snnkit": "from snnkit_cli.entry import main"}
    for name, line in scripts.items():
        (venv / "bin" / name).write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\n{line}\nsys.exit(main())\n")
        (venv / "bin" / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "SNNKIT_DISABLE_PLUGINS": FIXTURE_RESONATE,
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted switch: build with this environment's hatchling
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    return root, env


def sh(command, root, env):
    result = subprocess.run(
        ["bash", "-e", "-c", command], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_walkthrough_runs_as_written(built):
    root, env = built
    runs = [(language, text) for language, tag, text in blocks() if tag == "run"]
    assert [language for language, _ in runs] == ["sh", "python", "sh", "sh"], "the page's runnable blocks changed"
    (_, install), (_, script), (_, shipped), (_, tests) = runs
    listing = sh(install, root, env)
    row = next(line for line in listing.splitlines() if line.startswith("neurons  resonate-and-fire"))
    assert "snnkit-resonate 0.1.0" in row, row
    assert "frequency" in listing and "Resonate-and-fire neurons" in listing
    (root / "use.py").write_text(script)
    spikes = sh("python use.py", root, env)
    expected = re.search(r"# (\d+) spikes", script)
    assert expected and spikes.strip() == f"{expected.group(1)} spikes", spikes
    out = sh(shipped, root, env)
    assert "complete" in out and "snnkit-resonate: the resonate-and-fire neuron model" in out, out
    assert (root / "runs" / "resonate-demo.h5").exists()
    out = sh(tests, root, env)
    assert re.search(r"\d+ passed", out) and "failed" not in out, out
