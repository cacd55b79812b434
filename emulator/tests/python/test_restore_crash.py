"""Snapshot restore is all-or-nothing across KV, R2 and D1, whenever era-emu is killed (-9)
during it: after a restart the data is entirely the snapshot's or entirely what it replaced,
and no D1 database is lost."""
import json
import random
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

from emu_harness import BIN

ROUNDS = 24
BULK_ROWS = 60000  # ~13 MB of D1 data, so the restore has a middle to be killed in


class Proc:
    def __init__(self, data_dir):
        self.p = subprocess.Popen([BIN, "up", "--data", str(data_dir), "--port", "0", "--log-level", "warn"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        assert line.startswith("ERA_STORAGE_URL="), (line, self.p.stderr.read())
        self.url = line.split("=", 1)[1]

    def call(self, method, path, body=None, raw=None, timeout=60):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json" if raw is None else "text/plain"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def ok(self, method, path, body=None, raw=None):
        status, data = self.call(method, path, body, raw)
        assert 200 <= status < 300, (method, path, status, data[:300])
        return data

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def set_state(emu, tag):
    emu.ok("PUT", "/api/storage/kv/app/marker", {"value": tag})
    emu.ok("PUT", "/api/r2/files/marker", raw=tag.encode())
    emu.ok("POST", "/api/storage/d1/app/query", {"sql": "UPDATE m SET v = ?", "params": [tag]})


def state_of(emu):
    kv = json.loads(emu.ok("GET", "/api/storage/kv/app/marker"))["value"]
    r2 = emu.ok("GET", "/api/r2/files/marker").decode()
    d1 = json.loads(emu.ok("POST", "/api/storage/d1/app/query",
                           {"sql": "SELECT (SELECT v FROM m) AS v, (SELECT count(*) FROM bulk) AS n"}))
    row = d1["results"][0]
    return kv, r2, row["v"], row["n"]


def restore_quietly(emu):
    try:
        emu.call("POST", "/_emu/snapshots/a/restore", timeout=5)
    except OSError:  # killed mid-request: that is the point
        pass


def test_kill_during_restore_leaves_old_or_new_never_a_mix(tmp_path):
    data = tmp_path / "data"
    procs = [Proc(data)]  # the live one is last; stopped whatever happens
    try:
        emu = procs[-1]
        emu.ok("POST", "/api/storage/d1/app/exec", {"sql": "CREATE TABLE m (v TEXT); INSERT INTO m VALUES ('A')"})
        emu.ok("POST", "/api/storage/d1/app/exec", {"sql": (
            f"CREATE TABLE bulk AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {BULK_ROWS}) "
            "SELECT x, randomblob(200) AS b FROM c")})
        emu.ok("POST", "/_emu/seed", {"kv": {"bulk": {f"k{i}": "v" * 100 for i in range(3000)}}})
        set_state(emu, "A")
        emu.ok("POST", "/_emu/snapshots", {"name": "a"})
        # How long one restore takes here: kills are spread over that span and a bit past it.
        set_state(emu, "B")
        t0 = time.monotonic()
        emu.ok("POST", "/_emu/snapshots/a/restore")
        span = time.monotonic() - t0
        assert state_of(emu)[:3] == ("A", "A", "A")

        outcomes = {"A": 0, "B": 0}
        rng = random.Random(13)
        for round_ in range(ROUNDS):
            set_state(emu, "B")
            threading.Thread(target=restore_quietly, args=(emu,), daemon=True).start()
            time.sleep(rng.uniform(0, span * 1.3))
            emu.kill()
            procs.append(Proc(data))
            emu = procs[-1]
            kv, r2, d1, rows = state_of(emu)
            assert kv == r2 == d1, f"round {round_}: KV={kv} R2={r2} D1={d1} after a kill during restore"
            assert rows == BULK_ROWS, f"round {round_}: the bulk table has {rows} rows"
            outcomes[kv] += 1
        print(f"restore span {span * 1000:.1f} ms; {ROUNDS} kills: {outcomes}")
    finally:
        procs[-1].kill()
