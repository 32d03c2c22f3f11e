"""``codes.py`` and ``call.py`` need neither aiohttp nor Home Assistant;
``session.py`` (with the client) needs no Home Assistant.

Loaded by path in a fresh interpreter, under a stub parent package (the
real ``__init__.py`` imports Home Assistant), with the named libraries made
unimportable: a stray import anywhere in their chain fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "connectcall"

_PROBE = """
import importlib.abc, importlib.util, sys, types

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in sys.argv[2].split(","):
            raise ImportError(f"{name} is blocked")
        return None

sys.meta_path.insert(0, Blocked())
package = types.ModuleType("stub")
package.__path__ = [sys.argv[1]]
sys.modules["stub"] = package
for name in sys.argv[3:]:
    spec = importlib.util.spec_from_file_location(
        f"stub.{name}", f"{sys.argv[1]}/{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
tracker = sys.modules.get("stub.call")
if tracker is not None:
    call = tracker.CallTracker(call_id=1, destination="1", dialled=0.0,
                               reused_session=False)
    call.on_status(9, "Clients connected", 1.0)
    assert call.state.status == "connected", call.state
print("loaded", sorted(m for m in sys.modules if m.startswith("stub.")))
"""


def _load(
    *modules: str, blocked: str = "aiohttp,homeassistant"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, str(PACKAGE), blocked, *modules],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("modules", [("codes",), ("codes", "call")])
def test_loads_without_aiohttp_and_home_assistant(modules: tuple[str, ...]) -> None:
    run = _load(*modules)
    assert run.returncode == 0, run.stderr
    assert "loaded" in run.stdout


def test_the_session_keeper_loads_without_home_assistant() -> None:
    run = _load("codes", "const", "api", "call", "session", blocked="homeassistant")
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("modules", "blocked"),
    [(("codes", "const", "api"), "aiohttp"), (("const", "storage"), "homeassistant")],
)
def test_the_probe_sees_a_blocked_import(
    modules: tuple[str, ...], blocked: str
) -> None:
    """The block works: the client needs aiohttp, the storage Home Assistant."""
    run = _load(*modules, blocked=blocked)
    assert run.returncode != 0
    assert f"{blocked} is blocked" in run.stderr


# The parts of an account's line, below the actions.
PARTS = (
    "activity",
    "cadence",
    "call",
    "ending",
    "line",
    "placing",
    "plans",
    "runner",
    "schedule",
    "session",
)


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _imports_through_the_package(module: str) -> set[str]:
    """What ``module`` imports, and what the package's modules it imports do."""
    found: set[str] = set()
    todo = [module]
    while todo:
        for name in _imports(todo.pop()) - found:
            found.add(name)
            if name.startswith(".") and (PACKAGE / f"{name[1:]}.py").is_file():
                todo.append(name[1:])
    return found


@pytest.mark.parametrize("module", PARTS)
def test_a_part_gets_what_it_needs_and_raises_its_own_errors(module: str) -> None:
    """No part reaches back into the coordinator (not even for a type), and
    none makes Home Assistant's errors, nor imports a module that does: the
    boundaries do (errors.py)."""
    imported = _imports_through_the_package(module)
    assert ".coordinator" not in imported
    assert ".errors" not in imported
    assert "homeassistant.exceptions" not in imported
