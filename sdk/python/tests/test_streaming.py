"""Streaming a 200 MiB object through put_file / get_file keeps memory flat.

The transfer runs in a fresh child interpreter so its peak RSS (VmHWM) is not hidden by
whatever earlier tests allocated; the child reports its peak before and after."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import SDK_DIR

SIZE = 200 * 1024 * 1024
# Peak RSS may grow by a few chunk buffers, never by anything close to the file size.
MAX_GROWTH = 40 * 1024 * 1024

CHILD = r"""
import hashlib, json, os, sys
import era_storage

def hwm():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")

ns, src, dst = sys.argv[1:4]
era_storage.kv.get(ns, "warm-up")  # import + first-request costs happen before the baseline
base = hwm()
put = era_storage.r2.put_file(ns, "big/file.bin", src)
after_put = hwm()
got = era_storage.r2.get_file(ns, "big/file.bin", dst)
after_get = hwm()
h = hashlib.sha256()
with open(dst, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(json.dumps({"base": base, "after_put": after_put, "after_get": after_get,
                  "put_size": put.size, "get_size": got.size, "sha256": h.hexdigest()}))
"""


@pytest.mark.slow
def test_stream_200mib_file_with_flat_memory(era_emu, ns: str, tmp_path) -> None:
    import hashlib

    src = tmp_path / "big.bin"
    expected = hashlib.sha256()
    block = os.urandom(1 << 20)
    with open(src, "wb") as f:
        for i in range(SIZE >> 20):
            chunk = bytes([i & 0xFF]) + block[1:]
            expected.update(chunk)
            f.write(chunk)
    dst = tmp_path / "copy.bin"
    env = {**os.environ, "PYTHONPATH": str(SDK_DIR), "ERA_STORAGE_URL": era_emu.url}
    out = subprocess.run([sys.executable, "-c", CHILD, ns, str(src), str(dst)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["put_size"] == SIZE and report["get_size"] == SIZE
    assert report["sha256"] == expected.hexdigest()
    growth = report["after_get"] - report["base"]
    assert growth < MAX_GROWTH, f"peak RSS grew by {growth / 2**20:.1f} MiB for a 200 MiB transfer"
    print(f"peak RSS growth: {growth / 2**20:.1f} MiB (baseline {report['base'] / 2**20:.1f} MiB)")
