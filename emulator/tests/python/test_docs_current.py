"""Generated documentation stays in step with the code."""
import subprocess
from pathlib import Path

from emu_harness import BIN, ROOT


def test_errors_md_matches_the_error_table():
    out = subprocess.run([BIN, "errors", "--markdown"], capture_output=True, text=True, check=True).stdout
    doc = (ROOT / "docs" / "errors.md").read_text()
    assert doc == out, "docs/errors.md is stale: run build/era-emu errors --markdown > docs/errors.md"


def test_every_error_code_is_unique():
    out = subprocess.run([BIN, "errors"], capture_output=True, text=True, check=True).stdout
    codes = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert len(codes) == len(set(codes)) and len(codes) > 20
