"""`sam build` of the whole template, natively (no Docker), shared by the tests of the packages.

A build takes half a minute with the layer cached, several minutes without: its result is kept
in a cache keyed by everything that goes into it (lock, template, Makefile, packaging script and
the code), so an unchanged tree reuses it and `make test` stays short. infra/package.py keeps the
dependency layer itself by the lock's hash, so a code change rebuilds in seconds.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import package  # noqa: E402  (infra/package.py: the packaging script sam build runs)

BUILD_INPUTS = ("requirements.lock", "infra/template.yaml", "Makefile", "infra/package.py")


def sam_executable() -> str | None:
    beside = Path(sys.executable).parent / "sam"
    if beside.exists():
        return str(beside)
    return os.environ.get("AFFICHE_SAM") or shutil.which("sam")


def build_key() -> str:
    digest = hashlib.sha256(package.code_key().encode())
    for name in BUILD_INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


def sam_build() -> Path:
    """The build folder (template.yaml and one folder per function and layer)."""
    sam = sam_executable()
    if sam is None:
        if os.environ.get("CI"):
            pytest.fail("aws-sam-cli is in the dev extra: make test installs it")
        pytest.skip("no sam: install the dev extra (requirements-dev.lock) or set AFFICHE_SAM")
    cached = package.cache_root() / f"sam-{build_key()}"
    if (cached / "template.yaml").exists():
        return cached
    work = cached.with_name(cached.name + f".{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "BUILD_PYTHON": sys.executable}
    done = subprocess.run(
        [sam, "build", "--build-in-source", "--template-file", "infra/template.yaml",
         "--build-dir", str(work)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500, check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    try:
        work.rename(cached)
    except OSError:  # a parallel worker got there first with the same inputs
        shutil.rmtree(work, ignore_errors=True)
    return cached


def host_arch() -> str:
    return {"aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
