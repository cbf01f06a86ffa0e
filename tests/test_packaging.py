"""Packaging: `python -m build` makes an sdist and, from that sdist, a wheel that installs into a fresh venv and runs.

This is what a user without a matching binary wheel goes through (pip builds from the sdist), so the sdist must carry
everything the build needs (cpp/, CMakeLists.txt, the Python package) and nothing it does not (tests, bench, docs).
"""

import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_sdist_builds_a_wheel_that_installs_in_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (sdist,) = dist.glob("gridenv-*.tar.gz")
    (wheel,) = dist.glob("gridenv-*.whl")  # `build` makes the wheel from the sdist, not from the tree
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for needed in ("CMakeLists.txt", "pyproject.toml", "README.md", "cpp/world.cpp", "cpp/bindings.cpp",
                   "packages/gridenv/src/gridenv/__init__.py"):
        assert needed in names
    assert not any(name.startswith(("tests/", "bench/", "packages/gridenv-train/")) for name in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                             text=True, timeout=1200)
    assert install.returncode == 0, install.stderr[-3000:]
    check = ("import gridenv, numpy as np\n"
             "assert gridenv.__file__.startswith(%r), gridenv.__file__\n"
             "env = gridenv.parallel_env('arena-small')\n"
             "observations, _ = env.reset(seed=0)\n"
             "env.step({a: env.action_space(a).sample() for a in env.agents})\n"
             "print(len(observations), gridenv.__version__)\n") % str(env_dir)
    run = subprocess.run([str(python), "-c", check], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[0] == "4"
