#!/usr/bin/env python3
"""Per-test overhead of the pytest fixture: what `era` does before every test (reset, then
events mark), timed after a typical test's writes. Run by bench/bench.py:

    reset_pytest.py N URL    -> prints {"samples_ms": [...]} on stdout; exit 1 if a reset did not empty
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "pytest"))
from pytest_era_emu import ControlClient, Era  # noqa: E402

TYPICAL_TEST = {"kv": {"bench-app": {f"k{i}": f"v{i}" for i in range(5)}},
                "r2": {"bench-files": {"obj.txt": {"text": "body", "contentType": "text/plain"}}},
                "d1": {"bench-db": ["CREATE TABLE IF NOT EXISTS t (x INTEGER)", "INSERT INTO t VALUES (1)"]}}


def main() -> int:
    n, url = int(sys.argv[1]), sys.argv[2]
    era = Era(ControlClient(url, token=os.environ.get("ERA_EMU_TOKEN")))
    samples = []
    for i in range(n):
        era.seed(TYPICAL_TEST)
        if i == 0 and "k0=" not in era.dump_kv("bench-app"):
            print("seed did not store bench-app/k0", file=sys.stderr)
            return 1
        t0 = time.perf_counter()
        era.reset()
        era.events.mark()
        samples.append((time.perf_counter() - t0) * 1000)
    left = era.dump_kv("bench-app")
    if left != "(empty)":
        print(f"after the last reset bench-app still holds: {left}", file=sys.stderr)
        return 1
    print(json.dumps({"samples_ms": samples}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
