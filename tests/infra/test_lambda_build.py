"""The Lambda packages `sam build` makes hold what each function needs, for the runtime it runs on.

Given the template and the runtime lock, when `sam build` runs natively (no Docker, as in CI),
then every function and the dependency layer are built for python3.13 on arm64, each compiled
dependency is the aarch64 wheel for CPython 3.13 (nothing built for this machine slips in), no
test or local-runner package is shipped, the sizes stay inside Lambda's limits, and each handler
imports from the built package alone (`python -I`: no site-packages, no PYTHONPATH, no checkout).

Importing runs the code, so it needs the machine's architecture: on an arm64 host the arm64
layer itself is imported; elsewhere (x86_64 CI) the same lock is packaged by the same script for
the host and imported, and the arm64 layer is checked file by file (ELF machine, wheel tags).
"""

from __future__ import annotations

import importlib
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.infra import lambda_build
from tests.infra.lambda_build import package

cfn_yaml = importlib.import_module("cfnlint.decode.cfn_yaml")

ELF_MACHINE = {183: "arm64", 62: "x86_64"}  # e_machine of the ELF header
NEVER_SHIPPED = {"moto", "werkzeug", "pytest", "_pytest", "samcli", "mypy", "playwright"}
UNZIPPED_LIMIT = 250 * 1024 * 1024  # function and its layers together


@pytest.fixture(scope="module")
def build() -> Path:
    return lambda_build.sam_build()


@cache
def built_template(build: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(build / "template.yaml"))
    return loaded


def functions(build: Path) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in built_template(build)["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def handler_module(handler: str) -> str:
    return handler.rsplit(".", 1)[0]


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_every_function_is_built_for_python313_on_arm64(build: Path) -> None:
    template = built_template(build)
    assert template["Globals"]["Function"]["Runtime"] == "python3.13"
    assert template["Globals"]["Function"]["Architectures"] == ["arm64"]
    layer = template["Resources"]["DependenciesLayer"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    for name, props in functions(build).items():
        code = build / props["CodeUri"]
        module = handler_module(props["Handler"])
        assert (code / (module.replace(".", "/") + ".py")).is_file(), name
        # byte-compiled for 3.13: /var/task is read-only, a cold start would compile it all
        assert list((code / "functions").rglob("*.cpython-313.pyc")), name
        assert not (code / "affiche" / "local").exists(), "the local runner is never shipped"


def test_nothing_of_the_tests_or_the_local_runner_is_shipped(build: Path) -> None:
    shipped = {p.name for p in (build / "DependenciesLayer" / "python").iterdir()}
    assert not shipped & NEVER_SHIPPED, sorted(shipped & NEVER_SHIPPED)
    # Everything locked is there (a dependency missing would fail on the first request).
    installed = {p.name.split("-")[0].lower().replace("_", "-")
                 for p in (build / "DependenciesLayer" / "python").glob("*.dist-info")}
    locked = {name.replace("_", "-") for name in
              (line.split("==")[0].lower() for line in package.LOCK.read_text().splitlines()
               if "==" in line and not line.startswith(" "))}
    assert locked <= installed, sorted(locked - installed)


def runs_on_lambda(tag: str) -> bool:
    """A wheel tag CPython 3.13 on arm64 Linux accepts."""
    python, abi, plat = tag.split("-")
    if plat != "any" and not plat.endswith("_aarch64"):
        return False
    if abi == "none" and python.startswith("py"):
        return "py3" in python.split(".")
    if abi == "abi3":
        return python.startswith("cp3") and int(python[3:]) <= 13
    return python == "cp313" and abi == "cp313"


def test_compiled_dependencies_are_aarch64_wheels_for_cpython313(build: Path) -> None:
    layer = build / "DependenciesLayer" / "python"
    for wheel in layer.glob("*.dist-info/WHEEL"):
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines()
                if line.startswith("Tag:")]
        assert any(runs_on_lambda(tag) for tag in tags), (wheel.parent.name, tags)
    binaries = [p for p in layer.rglob("*.so*") if p.is_file()]
    assert binaries, "no compiled extension at all: the platform options did not apply"
    for binary in binaries:
        header = binary.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", binary
        assert ELF_MACHINE.get(int.from_bytes(header[18:20], "little")) == "arm64", binary


def test_packages_stay_inside_lambda_limits_and_are_reported(build: Path) -> None:
    layer = folder_size(build / "DependenciesLayer")
    sizes = {name: folder_size(build / props["CodeUri"])
             for name, props in functions(build).items()}
    for name, size in sizes.items():
        assert size + layer < UNZIPPED_LIMIT, (name, size, layer)
    report = {"layer_mb": round(layer / 2**20, 1)} | {
        f"{name}_mb": round(size / 2**20, 1) for name, size in sorted(sizes.items())}
    print("\npackage sizes (unzipped):", json.dumps(report))


@pytest.fixture(scope="module")
def importable_layer(build: Path) -> Path:
    """The dependency layer for this machine: the built one on arm64, else the same lock for it."""
    if lambda_build.host_arch() == "arm64":
        return build / "DependenciesLayer" / "python"
    if lambda_build.host_arch() not in package.MACHINES:
        pytest.skip(f"no manylinux wheels for {lambda_build.host_arch()}")
    return package.layer(lambda_build.host_arch()) / "python"


def test_each_handler_imports_from_the_built_package_alone(build: Path,
                                                           importable_layer: Path) -> None:
    python = package.target_python()
    if python is None:
        pytest.fail("python3.13 is needed to import the python3.13 packages (pyenv install 3.13)")
    runs = [(name, f"importlib.import_module({handler_module(props['Handler'])!r})\n",
             build / props["CodeUri"]) for name, props in functions(build).items()]
    # Then every module of ours (in one package: they are the same code), so a lazy import
    # inside a function is proven too; a password hash proves the compiled argon2 binding loads.
    runs.append(("every module", (
        "import affiche, functions, pkgutil\n"
        "for package in (affiche, functions):\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "from argon2 import PasswordHasher\n"
        "assert PasswordHasher().verify(PasswordHasher().hash('x'), 'x')\n"), runs[0][2]))
    for name, imports, code in runs:
        script = (
            "import importlib, sys\n"
            f"sys.path[:0] = [{str(code)!r}, {str(importable_layer)!r}]\n"
            + imports +
            "assert not [m for m in sys.modules if m.split('.')[0] in ('moto', 'werkzeug')]\n"
            "print(sys.version_info[:2])\n"
        )
        done = subprocess.run(
            [python, "-I", "-c", script], cwd="/", capture_output=True, text=True, timeout=300,
            env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"}, check=False,
        )
        assert done.returncode == 0, (name, done.stderr[-3000:])
        assert done.stdout.strip() == "(3, 13)", name
