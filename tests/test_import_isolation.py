"""``codes.py`` and ``call.py`` need neither aiohttp nor Home Assistant.

Loaded by path in a fresh interpreter, under a stub parent package (the
real ``__init__.py`` imports Home Assistant), with both made unimportable:
a stray import anywhere in their chain fails this test.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "connectcall"

_PROBE = """
import importlib.abc, importlib.util, sys, types

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("aiohttp", "homeassistant"):
            raise ImportError(f"{name} is blocked")
        return None

sys.meta_path.insert(0, Blocked())
package = types.ModuleType("stub")
package.__path__ = [sys.argv[1]]
sys.modules["stub"] = package
for name in sys.argv[2:]:
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
    call.status(9, "Clients connected", 1.0)
    assert call.state.status == "connected", call.state
print("loaded", sorted(m for m in sys.modules if m.startswith("stub.")))
"""


def _load(*modules: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, str(PACKAGE), *modules],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("modules", [("codes",), ("codes", "call")])
def test_loads_without_aiohttp_and_home_assistant(modules: tuple[str, ...]) -> None:
    run = _load(*modules)
    assert run.returncode == 0, run.stderr
    assert "loaded" in run.stdout


def test_the_probe_would_see_a_home_assistant_import() -> None:
    """The block works: the coordinator (which needs both) fails to load."""
    run = _load("codes", "const", "api")
    assert run.returncode != 0
    assert "aiohttp is blocked" in run.stderr
