"""Lambda packages, built natively (no Docker) for the target platform.

`sam build` calls this through the Makefile's `build-<LogicalId>` targets (BuildMethod: makefile):

    python infra/package.py layer --into DIR [--arch arm64]   # DependenciesLayer: DIR/python/
    python infra/package.py code --into DIR                     # each function: our code only

The layer holds the runtime lock (requirements.lock, hashes checked) as wheels for the target:
CPython 3.13 on Amazon Linux 2023 (glibc 2.34), arm64 by default. pip is told the target's
platform, so a compiled dependency (argon2-cffi-bindings, cryptography, pydantic-core, pillow…)
arrives as the manylinux wheel built for it and nothing is compiled here; a package without such a
wheel stops the build instead of shipping something that cannot import. Installing for a platform
takes time, so a layer is kept in a cache keyed by the lock's hash, the platform and the Python.

Both are byte-compiled for 3.13 when a python3.13 is found (pyenv or PATH): /var/task is read-only
on Lambda, so without shipped .pyc files every cold start compiles every module again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PYTHON_VERSION = "3.13"
# Amazon Linux 2023 (the python3.13 runtime) has glibc 2.34. pip does not widen a --platform to
# older glibc versions by itself, so every manylinux tag the runtime accepts is named.
GLIBC = "2_34"
OLDEST_GLIBC_MINOR = 17
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
# What a function needs of the repository: the code, the theme it renders pages with, content/.
# The local runner (moto, werkzeug) is never packaged.
CODE = ("affiche", "functions", "site/theme/templates", "content")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "local")


def cache_root() -> Path:
    base = os.environ.get("AFFICHE_BUILD_CACHE") or Path.home() / ".cache" / "affiche" / "lambda"
    return Path(base)


def lock_key(arch: str) -> str:
    digest = hashlib.sha256(LOCK.read_bytes())
    digest.update(f"{arch} cp{PYTHON_VERSION} glibc{GLIBC}".encode())
    digest.update(Path(__file__).read_bytes())  # a change of how layers are made rebuilds them
    return digest.hexdigest()[:16]


def target_python() -> str | None:
    """A python3.13 to byte-compile with (the .pyc format changes with each minor version)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    pattern = f"{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"
    candidates = [str(p) for p in sorted(pyenv.glob(pattern))]
    candidates.append(f"python{PYTHON_VERSION}")
    for candidate in candidates:
        # A pyenv shim is on PATH even when that version is not selected: ask it.
        found = shutil.which(candidate)
        if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
            return found
    return None


def byte_compile(folder: Path) -> None:
    python = target_python()
    if python is None:
        print(f"no python{PYTHON_VERSION} found: packaging without .pyc", file=sys.stderr)
        return
    # unchecked-hash: the .pyc is trusted without a stat of its source (zip timestamps lie).
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode",
                    "unchecked-hash", str(folder)], check=True)


def platform_options(arch: str) -> list[str]:
    machine = MACHINES[arch]
    newest = int(GLIBC.split("_")[1])
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, OLDEST_GLIBC_MINOR - 1, -1)]
    tags.append(f"manylinux2014_{machine}")
    return [option for tag in tags for option in ("--platform", tag)]


def layer(arch: str) -> Path:
    """The dependencies installed for `arch` (cached, or installed now): the folder of python/."""
    cached = cache_root() / f"layer-{arch}-{lock_key(arch)}"
    if (cached / "python").is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="layer-", dir=cached.parent))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--require-hashes", "--no-deps", "--no-compile", "--only-binary=:all:",
         *platform_options(arch),
         "--python-version", PYTHON_VERSION, "--implementation", "cp",
         "--target", str(work / "python"), "-r", str(LOCK)],
        check=False, capture_output=True, text=True,
    )
    if done.returncode:
        sys.exit(f"installing {LOCK.name} for {arch} failed:\n{done.stdout}{done.stderr}")
    # Console scripts (pygmentize…) are of no use in a layer and hold the build host's python.
    shutil.rmtree(work / "python" / "bin", ignore_errors=True)
    byte_compile(work / "python")
    try:
        work.rename(cached)
    except OSError:  # another build filled the cache first: theirs is the same
        shutil.rmtree(work, ignore_errors=True)
    return cached


def code_key() -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for part in CODE:
        for path in sorted((ROOT / part).rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc" \
                    and not relative.is_relative_to("affiche/local"):
                digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def code(into: Path) -> None:
    """Our code for one function; sam build asks once per function, the cache makes it once."""
    cached = cache_root() / f"code-{code_key()}"
    if not cached.is_dir():
        cached.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="code-", dir=cached.parent))
        for part in CODE:
            shutil.copytree(ROOT / part, work / part, ignore=SKIP, dirs_exist_ok=True)
        byte_compile(work)
        try:
            work.rename(cached)
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(cached, into, dirs_exist_ok=True)


def sizes(build: Path) -> dict[str, dict[str, float]]:
    """MB per built function and layer, unzipped (Lambda's 250 MB limit) and zipped (upload)."""
    report = {}
    for folder in sorted(p for p in build.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file()]
        unzipped = sum(p.stat().st_size for p in files)
        with tempfile.TemporaryDirectory() as scratch:
            zipped = Path(shutil.make_archive(f"{scratch}/package", "zip", folder)).stat().st_size
        report[folder.name] = {"unzipped_mb": round(unzipped / 2**20, 1),
                               "zipped_mb": round(zipped / 2**20, 1)}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["layer", "code", "sizes"])
    parser.add_argument("build", nargs="?", type=Path, help="sizes: the sam build folder")
    parser.add_argument("--into", type=Path)
    parser.add_argument("--arch", choices=sorted(MACHINES), default="arm64")
    args = parser.parse_args(argv)
    if args.what == "sizes":
        import json

        print(json.dumps(sizes(args.build or ROOT / ".aws-sam" / "build"), indent=1))
        return 0
    if args.into is None:
        parser.error("--into is required")
    args.into.mkdir(parents=True, exist_ok=True)
    if args.what == "code":
        code(args.into)
    else:
        shutil.copytree(layer(args.arch) / "python", args.into / "python", dirs_exist_ok=True,
                        symlinks=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
