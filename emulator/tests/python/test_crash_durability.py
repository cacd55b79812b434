"""kill -9 in the middle of a write load loses no acknowledged write (ARCHITECTURE.md,
"Durability"): LMDB commits live in the page cache, blobs are renamed into place before their
metadata commits (small R2 bodies commit inside the record), D1 runs WAL with synchronous=NORMAL."""
import base64
import hashlib
import http.client
import signal
import threading
import time

from emu_harness import Emu


def _r2_body(key, worker):
    # Worker 0 writes 16 KiB bodies (blob files), worker 1 1 KiB ones (inside the LMDB record).
    return hashlib.sha256(key.encode()).digest() * (512 if worker == 0 else 32)


def _writer(emu, kind, worker, acked, stop):
    i = 0
    while not stop.is_set() and i < 5000:
        key = f"w{worker}-{i}"
        try:
            if kind == "kv":
                status, _, _ = emu.request("PUT", f"/api/storage/kv/crash/{key}", {"value": key * 3})
            elif kind == "r2":
                body = _r2_body(key, worker)
                status, _, _ = emu.request("PUT", f"/api/r2/crash/{key}", raw=body,
                                           headers={"Content-Type": "application/octet-stream"})
            else:
                status, _, _ = emu.request("POST", "/api/storage/d1/crash/exec",
                                           {"sql": "INSERT INTO t (k) VALUES (?)", "params": [key]})
        except (OSError, http.client.HTTPException):
            return  # the server died mid-request: this write was never acknowledged
        if status == 200:
            acked.append(key)
        i += 1


def test_kill_9_loses_no_acknowledged_write(tmp_path):
    data = str(tmp_path / "data")
    emu = Emu("--data", data)
    assert emu.json("POST", "/api/storage/d1/crash/exec",
                    {"sql": "CREATE TABLE t (k TEXT PRIMARY KEY)"})[0] == 200
    acked = {"kv": [], "r2": [], "d1": []}
    stop = threading.Event()
    threads = [threading.Thread(target=_writer, args=(emu, kind, w, acked[kind], stop))
               for kind in ("kv", "r2", "d1") for w in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and min(len(v) for v in acked.values()) < 150:
        time.sleep(0.02)
    emu.proc.send_signal(signal.SIGKILL)  # in the middle of the load
    emu.proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    emu.stop()
    assert all(len(v) >= 50 for v in acked.values()), {k: len(v) for k, v in acked.items()}

    again = Emu("--data", data)  # same data dir: the lock died with the process
    try:
        for key in acked["kv"]:
            assert again.json("GET", f"/api/storage/kv/crash/{key}") == (200, {"value": key * 3}), key
        for key in acked["r2"]:
            status, body, _ = again.request("GET", f"/api/r2/crash/{key}")
            assert status == 200 and body == _r2_body(key, int(key[1])), key
        status, rows = again.json("POST", "/api/storage/d1/crash/query", {"sql": "SELECT k FROM t"})
        assert status == 200
        stored = {r["k"] for r in rows["results"]}
        missing = [k for k in acked["d1"] if k not in stored]
        assert not missing, missing[:5]
        # the restarted emulator is fully usable
        assert again.json("PUT", "/api/storage/kv/crash/after", {"value": "ok"})[0] == 200
        payload = base64.b64encode(b"after").decode()
        assert again.json("PUT", "/api/storage/r2/crash/after", {"content": payload})[0] == 200
    finally:
        assert again.stop() == 0


def test_second_instance_on_the_same_data_dir_is_refused(tmp_path):
    data = str(tmp_path / "data")
    first = Emu("--data", data)
    try:
        import subprocess
        from emu_harness import BIN
        second = subprocess.run([BIN, "up", "--port", "0", "--data", data],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode != 0
        assert "locked by another running era-emu" in second.stderr
        assert second.stdout == ""
    finally:
        assert first.stop() == 0


def test_port_in_use_is_a_clear_error(emu):
    import subprocess
    from emu_harness import BIN
    port = emu.url.rsplit(":", 1)[1]
    r = subprocess.run([BIN, "up", "--port", port, "--memory"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "address already in use" in r.stderr


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    import os
    import subprocess
    from emu_harness import BIN
    if os.geteuid() == 0:
        target = "/proc/era-emu-cannot-exist"  # not creatable even for root
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = str(ro / "data")
    r = subprocess.run([BIN, "up", "--port", "0", "--data", target], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "data dir" in r.stderr


def test_sigterm_stops_cleanly_and_memory_dir_is_removed():
    emu = Emu("--memory")
    status, health = emu.json("GET", "/_emu/health")
    assert status == 200 and health["status"] == "ok" and health["version"]
    assert emu.stop(signal.SIGTERM) == 0
