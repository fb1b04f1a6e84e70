"""Every import is declared, and the locks agree with pyproject.toml.

On AWS a function has only what its package holds: an import that arrives here through a test
tool (pydantic once came only through moto) fails there on the first request. So every module of
affiche/, functions/ and site/ may import only the standard library, first-party code and the
distributions pyproject.toml declares for the runtime; the local runner (affiche/local) may also
use the `local` extra. The runtime lock, which Lambda packages are built from, must pin every
declared distribution at a version the declaration allows, hold nothing that no declaration
pulls in, and never hold the local runner's or the dev tools' packages.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"affiche", "functions", "site"}
LOCKS = {
    "runtime": ROOT / "requirements.lock",
    "local": ROOT / "requirements-local.lock",
    "dev": ROOT / "requirements-dev.lock",
}
PROJECT_VIA = "affiche (pyproject.toml)"


@cache
def project() -> dict[str, object]:
    loaded: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    project: dict[str, object] = loaded["project"]  # type: ignore[assignment]
    return project


def declared(group: str) -> dict[str, Requirement]:
    """The requirements of the runtime set ("runtime") or of an extra, by canonical name."""
    if group == "runtime":
        lines = project()["dependencies"]
    else:
        lines = project()["optional-dependencies"][group]  # type: ignore[index]
    found = (Requirement(line) for line in lines)  # type: ignore[attr-defined]
    return {canonicalize_name(r.name): r for r in found if canonicalize_name(r.name) != "affiche"}


def locked(which: str) -> dict[str, tuple[str, set[str]]]:
    """name -> (pinned version, the names its `# via` comment gives) for one lock file."""
    entries: dict[str, tuple[str, set[str]]] = {}
    current = ""
    for line in LOCKS[which].read_text("utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)", line)
        if pin:
            current = canonicalize_name(pin.group(1))
            entries[current] = (pin.group(2), set())
            continue
        via = re.match(r"^\s+#\s+(?:via\s+)?(.+?)\s*$", line)
        if via and current and via.group(1) != "via":
            name = via.group(1)
            entries[current][1].add(name if name.startswith(("affiche", "-c ")) else
                                    canonicalize_name(name))
    return entries


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports a file makes, outside `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(inner) for inner in ast.walk(node))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def distributions_of(module: str) -> set[str]:
    providers = importlib.metadata.packages_distributions().get(module, [])
    return {canonicalize_name(name) for name in providers}


def undeclared_imports(folder: str, allowed: set[str]) -> list[str]:
    problems = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in sorted(imported_modules(path)):
            if module in sys.stdlib_module_names or module in FIRST_PARTY:
                continue
            providers = distributions_of(module)
            if not providers:
                problems.append(f"{path.relative_to(ROOT)}: {module} (installed by nothing)")
            elif not providers & allowed:
                problems.append(f"{path.relative_to(ROOT)}: {module} from {sorted(providers)}")
    return problems


def test_every_runtime_import_is_declared() -> None:
    # Given the runtime set of pyproject.toml, then each module Lambda runs imports only from it
    runtime = set(declared("runtime"))
    problems = []
    for folder in ("functions", "site", "affiche"):
        problems += [p for p in undeclared_imports(folder, runtime)
                     if not p.startswith("affiche/local/")]
    assert not problems, "imported but not declared in [project] dependencies:\n" + "\n".join(
        problems)


def test_the_local_runner_imports_only_runtime_and_local_extra() -> None:
    allowed = set(declared("runtime")) | set(declared("local"))
    assert not undeclared_imports("affiche/local", allowed)


def test_runtime_lock_pins_every_declared_dependency_at_an_allowed_version() -> None:
    lock = locked("runtime")
    for name, requirement in declared("runtime").items():
        assert name in lock, f"{name} is declared but not in requirements.lock: run make lock"
        version = lock[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, pyproject.toml wants {requirement}: "
            "run make lock")


def test_runtime_lock_holds_only_what_the_declarations_pull_in() -> None:
    lock = locked("runtime")
    runtime = set(declared("runtime"))
    for name, (_version, via) in lock.items():
        if PROJECT_VIA in via:
            assert name in runtime, f"{name} is locked as a direct dependency but not declared"
        parents = {v for v in via if not v.startswith("-c ")} - {PROJECT_VIA}
        assert PROJECT_VIA in via or parents & set(lock), (
            f"{name} in requirements.lock is pulled in by nothing declared: run make lock")


def test_lambda_lock_never_holds_the_local_runner_or_dev_tools() -> None:
    lock = set(locked("runtime"))
    extras = (set(declared("local")) | set(declared("dev"))) - set(declared("runtime"))
    assert not lock & extras, sorted(lock & extras)
    assert {"moto", "werkzeug", "pytest", "aws-sam-cli"}.isdisjoint(lock)


def test_locks_agree_with_each_other() -> None:
    # One version of a package everywhere: the tests run what Lambda runs.
    runtime, local, dev = locked("runtime"), locked("local"), locked("dev")
    for name, (version, _via) in runtime.items():
        assert local[name][0] == version, name
        assert dev[name][0] == version, name
    for name in declared("local"):
        assert name in local and name in dev, name
    for name in declared("dev"):
        assert name in dev, f"{name} is in the dev extra but not in requirements-dev.lock"


def test_every_lock_entry_has_hashes() -> None:
    for path in LOCKS.values():
        blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text("utf-8"))
        for block in blocks:
            if "==" in block.split("\n")[0]:
                assert "--hash=sha256:" in block, f"{path.name}: {block.splitlines()[0]}"
