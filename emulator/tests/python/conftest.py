"""pytest wiring for the emulator's black-box tests; the harness itself is emu_harness.py
(a plain module, so it never collides with other suites' conftest when run together)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emu_harness import Emu  # noqa: E402


@pytest.fixture
def emu():
    e = Emu("--memory")
    yield e
    e.stop()
