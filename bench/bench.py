#!/usr/bin/env python3
"""era-emu benchmark harness (issue 3).

Entry point: scripts/bench (a thin wrapper).  Standard library only.

What it does, in order:
  1. checks for wrk + nginx (apt-get installs them when missing), builds Release
     (scripts/dev build, or a cmake fallback) unless --no-build / --url / --smoke;
  2. starts nginx from a private config in a temp dir (127.0.0.1, free port) and
     measures the loopback HTTP ceiling with the very same wrk settings;
  3. for each data-dir mode (memory, disk): start-up latency (N fresh spawns),
     then one long-lived server: idle RSS, reset / snapshot-restore latency (when
     the control API has them), every wrk case, 64 MiB raw R2 transfers, peak RSS;
  4. writes bench/results/<date>-<sha>.json and .md (or --out DIR).

Any request error (non-2xx, socket error, timeout, wrong body in the pre-flight
check) fails that case loudly and makes the exit status non-zero; other cases
still run so one missing route does not hide the rest.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import fnmatch
import hashlib
import http.client
import json
import os
import platform
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

# What `--smoke` leaves out (besides the wrk cases not marked smoke=True): keep the CI smoke
# to routes the emulator is known to serve, so it only fails when something really broke.
SMOKE_SKIP = {"big"}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "bench")
WRK_DIR = os.path.join(BENCH_DIR, "wrk")
MiB = 1024 * 1024

# --------------------------------------------------------------------------- util


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """A case failed: carries a human-readable reason that ends up in the report."""


def median(xs):
    return statistics.median(xs) if xs else None


def percentile(xs, q):
    """Nearest-rank percentile (q in 0..100) of a list of numbers."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def spread(xs):
    """min, max and (max-min)/median in percent: the noise indicator shown in the table."""
    if not xs:
        return {"min": None, "max": None, "spread_pct": None}
    m = statistics.median(xs)
    return {"min": min(xs), "max": max(xs),
            "spread_pct": (100.0 * (max(xs) - min(xs)) / m) if m else None}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def git_sha() -> str:
    try:
        sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=10", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except Exception:
        return "nogit"


def machine_info() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    info = {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "os": _os_release(),
        "mem_total_mib": round(mem_kib / 1024) if mem_kib else None,
        "python": platform.python_version(),
        "hostname": socket.gethostname(),
        "tmp_fs": _fs_type(tempfile.gettempdir()),  # where disk-mode data dirs live
        "shm_fs": _fs_type("/dev/shm"),
    }
    for tool, args in (("wrk", ["wrk", "-v"]), ("nginx", ["nginx", "-v"])):
        try:
            p = subprocess.run(args, capture_output=True, text=True)
            out = (p.stdout + p.stderr).strip().splitlines()
            info[tool] = out[0] if out else "?"
        except OSError:
            info[tool] = None
    return info


def _fs_type(path: str):
    """Filesystem type of the mount holding `path` (longest mount-point prefix in /proc/mounts)."""
    best, fstype = "", None
    try:
        real = os.path.realpath(path)
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                mnt = parts[1]
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, fstype = mnt, parts[2]
    except OSError:
        pass
    return fstype


def _os_release() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return None


def _load1() -> float:
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError):
        return 0.0


def proc_cpu_s(pid):
    """utime + stime of a process (all threads), seconds; None when unknown."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def rss_split(anon_kib, file_kib) -> str:
    """"own (anonymous) A MiB + file pages F MiB", or "" when either is unknown."""
    if anon_kib is None or file_kib is None:
        return ""
    return f"own (anonymous) {anon_kib / 1024:.1f} MiB + file pages {file_kib / 1024:.1f} MiB"


def proc_status(pid: int) -> dict:
    """VmRSS / VmHWM and the RSS split RssAnon / RssFile / RssShmem (KiB) of a live process."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:", "RssShmem:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


# ----------------------------------------------------------------------- HTTP client


class Client:
    """Minimal keep-alive HTTP/1.1 client for seeding and pre-flight checks."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme != "http":
            raise ValueError(f"only http:// URLs are supported: {base_url}")
        self.host = u.hostname
        self.port = u.port or 80
        self.prefix = u.path.rstrip("/")
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                               blocksize=MiB)

    def request(self, method: str, path: str, body=None, headers=None, json_body=None):
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, self.prefix + path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close" or resp.status >= 400:
                    # Never reuse a connection after an error answer: a server that rejects a
                    # request without draining its body would poison the next request.
                    self.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                # Server closed an idle keep-alive connection: retry once on a fresh one.
                self.close()
                if attempt:
                    raise

    def json(self, method, path, json_body=None, expect=(200,), what=""):
        status, data = self.request(method, path, json_body=json_body)
        if status not in expect:
            hint = " (route not implemented?)" if route_missing(status, data) else ""
            raise BenchError(f"{what or method + ' ' + path}: HTTP {status}{hint} {data[:200]!r}")
        try:
            return json.loads(data) if data else None
        except ValueError:
            raise BenchError(f"{what or method + ' ' + path}: response is not JSON: {data[:200]!r}")

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None


def route_missing(status, data) -> bool:
    """True when an answer means 'this server has no such route (yet)'."""
    if status in (405, 501):
        return True
    if status == 404:  # ...but not a data miss such as {"error":"Key not found"}
        return not any(m in data for m in (b"Key not found", b"Object not found"))
    return status == 400 and b'"INVALID_PATH"' in data  # era-emu before a service is routed


def expect_2xx(status, data, what):
    if not 200 <= status < 300:
        hint = " (route not implemented?)" if route_missing(status, data) else ""
        raise BenchError(f"{what}: HTTP {status}{hint} {data[:200]!r}")


# ----------------------------------------------------------------------- processes


class EmuServer:
    """One `era-emu up` process."""

    def __init__(self, binary: str, mode: str, workdir: str, log_path: str | None = None):
        self.binary = binary
        self.mode = mode
        self.workdir = workdir
        self.log_path = log_path
        self.proc = None
        self.url = None
        self.data_dir = None
        self.last_rc = None   # exit status after SIGTERM (0 = clean shutdown)

    def argv(self):
        if self.mode == "memory":
            return [self.binary, "up", "--memory", "--port", "0"]
        self.data_dir = tempfile.mkdtemp(prefix="data-", dir=self.workdir)
        return [self.binary, "up", "--data", self.data_dir, "--port", "0"]

    def start(self, ready_timeout=15.0):
        """Spawn and wait for the ready line; returns seconds from spawn to ready line."""
        argv = self.argv()
        errf = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errf,
                                     stdin=subprocess.DEVNULL, close_fds=True)
        if errf is not subprocess.DEVNULL:
            errf.close()
        self.url = self._read_ready(t0, ready_timeout)
        return time.perf_counter() - t0

    def _read_ready(self, t0, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        while True:
            left = timeout - (time.perf_counter() - t0)
            if left <= 0:
                self.kill()
                raise BenchError(f"era-emu ({self.mode}) printed no ready line within {timeout}s")
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                rc = self.proc.wait()
                raise BenchError(f"era-emu ({self.mode}) exited with {rc} before its ready line"
                                 + self._log_tail())
            buf += chunk
            for line in buf.split(b"\n")[:-1]:
                m = re.match(rb"^ERA_STORAGE_URL=(http://\S+)\s*$", line)
                if m:
                    return m.group(1).decode().rstrip("/")

    def _log_tail(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            tail = f.read()[-600:].decode(errors="replace")
        return f"; stderr tail: {tail}"

    def wait_health(self, t0=None, timeout=10.0):
        u = urllib.parse.urlsplit(self.url)
        deadline = time.perf_counter() + timeout
        last = None
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
            try:
                conn.request("GET", "/_emu/health")
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200:
                    return time.perf_counter(), body
                last = f"HTTP {resp.status} {body[:100]!r}"
            except OSError as e:
                last = repr(e)
            finally:
                conn.close()
            time.sleep(0.0002)
        raise BenchError(f"/_emu/health never answered 200 within {timeout}s (last: {last})")

    def stop(self, timeout=10.0):
        """SIGTERM, wait; returns seconds to exit (or None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            rc = self.proc.returncode
            self.proc = None
            raise BenchError(f"era-emu ({self.mode}) had already exited with {rc}" + self._log_tail())
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.last_rc = self.proc.wait(timeout)
            took = time.perf_counter() - t0
        except subprocess.TimeoutExpired:
            self.kill()
            took = None
            self.last_rc = None
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None
        return took

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None


class Nginx:
    """nginx from a private config in a temp dir; 127.0.0.1 only; stopped by its PID."""

    FIXED_BODY = "x" * 99 + "\n"  # exactly 100 bytes

    def __init__(self, workdir: str):
        self.dir = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
        # nginx workers drop root privileges (user nobody): they must be able to reach www/.
        for d in (workdir, self.dir):
            os.chmod(d, 0o755)
        self.port = free_port()
        self.proc = None
        os.makedirs(os.path.join(self.dir, "www"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)

    def add_file(self, name: str, src: str):
        dst = os.path.join(self.dir, "www", name)
        if _same_fs(src, self.dir):
            os.link(src, dst)
        else:
            shutil.copyfile(src, dst)

    def start(self):
        conf = os.path.join(self.dir, "nginx.conf")
        d = self.dir
        with open(conf, "w") as f:
            f.write(f"""
daemon off;
master_process on;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {{
        listen 127.0.0.1:{self.port} reuseport;
        default_type application/octet-stream;
        location = /fixed {{ default_type text/plain; return 200 "{self.FIXED_BODY[:-1]}\\n"; }}
        location = /sink  {{ client_max_body_size 0; return 200 "ok\\n"; }}
        location /static/ {{ alias {d}/www/; }}
    }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", d, "-e", f"{d}/error.log", "-c", conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(d, "stderr.log"), "wb"))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                with open(os.path.join(d, "stderr.log"), "rb") as f:
                    raise BenchError(f"nginx exited with {self.proc.returncode}: {f.read()[-400:]!r}")
            try:
                st, body = Client(self.url).request("GET", "/fixed")
                if st == 200 and len(body) == 100:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise BenchError("nginx did not come up")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: master waits for its workers
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.proc = None


def _same_fs(a, b):
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


# ----------------------------------------------------------------------------- wrk


def run_wrk(url: str, script: str, env: dict, connections: int, duration: float,
            threads: int, timeout_s: float = 5.0, allow_errors: bool = False) -> dict:
    """One wrk run; returns parsed numbers. Raises BenchError on any error counter > 0, unless
    allow_errors (the Miniflare anchor: its errors are its own, reported with its row)."""
    e = dict(os.environ)
    e.update({k: str(v) for k, v in env.items()})
    e["BENCH_WRK_DIR"] = WRK_DIR
    secs = max(1, int(round(duration)))
    cmd = ["wrk", "-t", str(threads), "-c", str(max(connections, threads)), "-d", f"{secs}s",
           "--timeout", f"{int(timeout_s)}s", "-s", os.path.join(WRK_DIR, script), url]
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=secs + 60)
    if p.returncode != 0:
        raise BenchError(f"wrk exited {p.returncode}: {(p.stderr or p.stdout)[-400:]}")
    m = re.search(r"^BENCH_JSON (\{.*\})\s*$", p.stdout, re.M)
    if not m:
        raise BenchError(f"wrk printed no BENCH_JSON line: {p.stdout[-400:]} {p.stderr[-400:]}")
    r = json.loads(m.group(1))
    dur_s = r["duration_us"] / 1e6
    errs = r["errors"]
    out = {
        "requests": r["requests"],
        "duration_s": round(dur_s, 3),
        "rps": r["requests"] / dur_s if dur_s > 0 else 0.0,
        "mb_per_s": r["bytes"] / dur_s / 1e6 if dur_s > 0 else 0.0,
        "p50_ms": r["latency_us"]["p50"] / 1000.0,
        "p90_ms": r["latency_us"]["p90"] / 1000.0,
        "p99_ms": r["latency_us"]["p99"] / 1000.0,
        "max_ms": r["latency_us"]["max"] / 1000.0,
        "non_2xx": errs["status"],
        "socket_errors": {k: errs[k] for k in ("connect", "read", "write", "timeout")},
    }
    bad = {k: v for k, v in errs.items() if v}
    if bad and not allow_errors:
        raise BenchError(f"wrk reported errors {bad} in {r['requests']} requests "
                         f"(non-2xx = 'status'); run refused")
    if r["requests"] == 0:
        raise BenchError("wrk completed zero requests")
    return out


# ----------------------------------------------------------------------------- cases


class Case:
    """A wrk-driven load case.

    seed(client)     -> puts whatever state the case needs, through the public HTTP API
    check(client)    -> one request of the exact kind wrk will send; must be 2xx and correct
    script / env     -> the wrk Lua script and its environment
    """

    def __init__(self, name, group, desc, script, env, check, seed=None, connections=16,
                 ceiling=None, target=None, timeout_s=5.0, smoke=False, payload_bytes=None, paired=False):
        self.name = name
        self.group = group
        self.desc = desc
        self.script = script
        self.env = env
        self.check = check
        self.seed = seed
        self.connections = connections
        self.ceiling = ceiling          # name of the nginx case to compare against
        self.target = target            # (kind, value) e.g. ("rps_min", 20000)
        self.timeout_s = timeout_s
        self.smoke = smoke
        self.payload_bytes = payload_bytes
        self.paired = paired            # run the ceiling case right before every run of this one


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="era-bench-")
        self.files = {}
        self.failures = []
        self.rng = random.Random(20261123)
        self.run_tag = "b" + format(self.rng.getrandbits(24), "06x") if args.url else "b"
        self.server_pid = None     # era-emu under test (for its CPU use per run)
        self.nginx = None          # kept running for paired ceiling runs
        self.ceiling_by_name = {}

    # ---- payload files ---------------------------------------------------------------

    def payload(self, name: str, size: int) -> str:
        """A deterministic pseudo-random file of `size` bytes (incompressible)."""
        if name in self.files:
            return self.files[name]
        path = os.path.join(self.work, name)
        r = random.Random(size)
        with open(path, "wb") as f:
            left = size
            block = r.randbytes(min(size, MiB))
            while left > 0:
                f.write(block[:left])
                left -= len(block)
        self.files[name] = path
        return path

    def text_file(self, name: str, data: bytes) -> str:
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # ---- case catalogue --------------------------------------------------------------

    def ceiling_cases(self):
        one_mib = self.payload("1m.bin", MiB)
        cases = []
        for c in (16, 64):
            cases.append(Case(
                f"nginx_fixed_c{c}", "ceiling", f"nginx `return 200` with a fixed 100-byte body, {c} connections",
                "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": "/fixed"},
                check=lambda cl: _check_body(cl, "GET", "/fixed", expect_len=100),
                connections=c, smoke=(c == 64)))
        cases.append(Case(
            "nginx_static_1mib_get", "ceiling", "nginx static 1 MiB file (sendfile), 16 connections",
            "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": "/static/1m.bin"},
            check=lambda cl: _check_body(cl, "GET", "/static/1m.bin", expect_len=MiB),
            connections=16, payload_bytes=MiB))
        cases.append(Case(
            "nginx_sink_1mib_put", "ceiling", "nginx discarding a 1 MiB PUT body, 16 connections",
            "static.lua", {"BENCH_METHOD": "PUT", "BENCH_PATH": "/sink", "BENCH_BODY_FILE": one_mib},
            check=lambda cl: _check_status(cl, "PUT", "/sink", body=open(one_mib, "rb").read()),
            connections=16, payload_bytes=MiB))
        return cases

    def emu_cases(self):
        t = self.run_tag
        ns_kv, ns_list, ns_put = f"{t}kv", f"{t}kvlist", f"{t}kvput"
        ns_d1, ns_r2, bucket = f"{t}d1", f"{t}r2", f"{t}raw"
        value100 = "v" * 99 + "!"
        kv_body = self.text_file("kv_value.json", json.dumps({"value": value100}).encode())
        one_kib = self.payload("1k.bin", 1024)
        one_mib = self.payload("1m.bin", MiB)
        r2j_1k = self.text_file("r2_1k.json", json.dumps(
            {"content": base64.b64encode(open(one_kib, "rb").read()).decode()}).encode())
        r2j_1m = self.text_file("r2_1m.json", json.dumps(
            {"content": base64.b64encode(open(one_mib, "rb").read()).decode()}).encode())
        cases = []

        # ---- the server's own floor: routing + HTTP with no storage behind it
        cases.append(Case(
            "health_c64", "framework", "GET /_emu/health (no storage): the HTTP layer's own ceiling, 64 connections",
            "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": "/_emu/health"},
            check=lambda cl: _check_status(cl, "GET", "/_emu/health"), connections=64,
            ceiling="nginx_fixed_c64", smoke=True, paired=True))

        # ---- KV
        def seed_kv(cl):
            st, data = cl.request("PUT", f"/api/storage/kv/{ns_kv}/hot", body=open(kv_body, "rb").read(),
                                  headers={"Content-Type": "application/json"})
            expect_2xx(st, data, "seed KV PUT")

        def check_kv_get(cl):
            st, data = cl.request("GET", f"/api/storage/kv/{ns_kv}/hot")
            expect_2xx(st, data, "KV GET")
            if json.loads(data).get("value") != value100:
                raise BenchError(f"KV GET returned the wrong value: {data[:200]!r}")

        for c in (16, 64):
            cases.append(Case(
                f"kv_get_c{c}", "kv", f"KV GET of an existing 100-byte value, {c} connections",
                "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": f"/api/storage/kv/{ns_kv}/hot"},
                check=check_kv_get, seed=seed_kv, connections=c, ceiling=f"nginx_fixed_c{c}",
                target=("ceiling_frac_min", 0.5) if c == 64 else None, smoke=(c == 64), paired=(c == 64)))
        # Issue 19: 10,000 concurrent keep-alive clients, every one busy, zero errors allowed. At this
        # depth latency is queueing (10,000 in flight ÷ throughput), so only errors and req/s count.
        cases.append(Case(
            "kv_get_c10000", "kv", "KV GET of an existing 100-byte value, 10,000 keep-alive connections",
            "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": f"/api/storage/kv/{ns_kv}/hot"},
            check=check_kv_get, seed=seed_kv, connections=10000, timeout_s=10.0))

        def check_kv_put(cl):
            st, data = cl.request("PUT", f"/api/storage/kv/{ns_put}/preflight", body=open(kv_body, "rb").read(),
                                  headers={"Content-Type": "application/json"})
            expect_2xx(st, data, "KV PUT")

        cases.append(Case(
            "kv_put_random", "kv", "KV PUT of a 100-byte value to random keys (1..1e9), 16 connections",
            "kv_put_random.lua", {"BENCH_NS": ns_put, "BENCH_BODY_FILE": kv_body},
            check=check_kv_put, connections=16, ceiling="nginx_fixed_c16",
            target=("rps_min", 20000), smoke=True))

        def seed_kv_list(cl):
            for i in range(1000):
                st, data = cl.request("PUT", f"/api/storage/kv/{ns_list}/key{i:05d}",
                                      json_body={"value": f"value-{i}"})
                expect_2xx(st, data, "seed KV list PUT")

        def check_kv_list(cl):
            st, data = cl.request("GET", f"/api/storage/kv/{ns_list}?prefix=&limit=100")
            expect_2xx(st, data, "KV list")
            keys = json.loads(data).get("keys")
            if not isinstance(keys, list) or len(keys) != 100:
                raise BenchError(f"KV list returned {len(keys) if isinstance(keys, list) else keys!r} keys, want 100")

        cases.append(Case(
            "kv_list_100_of_1000", "kv", "KV list (limit=100) in a namespace of 1,000 keys, 16 connections",
            "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": f"/api/storage/kv/{ns_list}?prefix=&limit=100"},
            check=check_kv_list, seed=seed_kv_list, connections=16, ceiling="nginx_fixed_c16", smoke=True))

        # ---- D1
        rows = 10000

        def seed_d1(cl):
            cl.json("POST", f"/api/storage/d1/{ns_d1}/exec", {"sql": "DROP TABLE IF EXISTS t"}, what="D1 exec DROP")
            cl.json("POST", f"/api/storage/d1/{ns_d1}/exec", {
                "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER NOT NULL)"},
                what="D1 exec CREATE TABLE")
            for start in range(1, rows + 1, 1000):
                vals = ",".join(f"({i},'name-{i}',{(i * 7919) % 1000})" for i in range(start, min(start + 1000, rows + 1)))
                cl.json("POST", f"/api/storage/d1/{ns_d1}/exec",
                        {"sql": f"INSERT INTO t (id, name, score) VALUES {vals}"}, what="D1 exec INSERT seed")
            res = cl.json("POST", f"/api/storage/d1/{ns_d1}/query", {"sql": "SELECT COUNT(*) AS n FROM t"},
                          what="D1 count")
            if not res or res.get("results") != [{"n": rows}]:
                raise BenchError(f"D1 seed: expected {rows} rows, got {res!r:.200}")
            cl.json("POST", f"/api/storage/d1/{ns_d1}/exec", {"sql": "DROP TABLE IF EXISTS w"}, what="D1 exec DROP w")
            cl.json("POST", f"/api/storage/d1/{ns_d1}/exec", {
                "sql": "CREATE TABLE w (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT, n INTEGER)"},
                what="D1 exec CREATE TABLE w")

        def check_d1_select(cl):
            res = cl.json("POST", f"/api/storage/d1/{ns_d1}/query",
                          {"sql": "SELECT * FROM t WHERE id = ?", "params": [4242]}, what="D1 query")
            if not res or res.get("results") != [{"id": 4242, "name": "name-4242", "score": (4242 * 7919) % 1000}]:
                raise BenchError(f"D1 point select returned {res!r:.200}")

        def check_d1_insert(cl):
            res = cl.json("POST", f"/api/storage/d1/{ns_d1}/exec",
                          {"sql": "INSERT INTO w (v, n) VALUES (?, ?)", "params": ["preflight", 1]},
                          what="D1 exec INSERT")
            if not res or res.get("success") is not True:
                raise BenchError(f"D1 exec INSERT returned {res!r:.200}")

        cases.append(Case(
            "d1_select_point", "d1", "D1 `SELECT * FROM t WHERE id = ?` (random id) on a 10k-row table, 16 connections",
            "d1_select_random.lua", {"BENCH_NS": ns_d1, "BENCH_ROWS": rows},
            check=check_d1_select, seed=seed_d1, connections=16, ceiling="nginx_fixed_c16",
            target=("rps_min", 15000)))
        cases.append(Case(
            "d1_insert_exec", "d1", "D1 `INSERT INTO w (v, n) VALUES (?, ?)` via /exec, 16 connections",
            "d1_insert.lua", {"BENCH_NS": ns_d1},
            check=check_d1_insert, connections=16, ceiling="nginx_fixed_c16"))

        # ---- R2 over the ERA JSON route (base64 inside JSON)
        for label, raw_path, json_path, size, ceil_get, ceil_put in (
                ("1kib", one_kib, r2j_1k, 1024, "nginx_fixed_c16", "nginx_fixed_c16"),
                ("1mib", one_mib, r2j_1m, MiB, "nginx_static_1mib_get", "nginx_sink_1mib_put")):
            key = f"obj-{label}"

            def seed_r2j(cl, key=key, json_path=json_path):
                st, data = cl.request("PUT", f"/api/storage/r2/{ns_r2}/{key}", body=open(json_path, "rb").read(),
                                      headers={"Content-Type": "application/json"})
                expect_2xx(st, data, "seed R2 JSON PUT")

            def check_r2j_get(cl, key=key, raw_path=raw_path):
                st, data = cl.request("GET", f"/api/storage/r2/{ns_r2}/{key}")
                expect_2xx(st, data, "R2 JSON GET")
                try:
                    content = base64.b64decode(json.loads(data)["content"])
                except Exception as e:
                    raise BenchError(f"R2 JSON GET: cannot decode content: {e}")
                if content != open(raw_path, "rb").read():
                    raise BenchError("R2 JSON GET returned different bytes than were put")

            def check_r2j_put(cl, key=key, json_path=json_path):
                st, data = cl.request("PUT", f"/api/storage/r2/{ns_r2}/{key}-put", body=open(json_path, "rb").read(),
                                      headers={"Content-Type": "application/json"})
                expect_2xx(st, data, "R2 JSON PUT")

            big = size >= MiB
            cases.append(Case(
                f"r2json_put_{label}", "r2-json", f"R2 PUT of a {label.replace('ib', 'iB').upper().replace('IB', 'iB')} object as base64 JSON (same key), 16 connections",
                "static.lua", {"BENCH_METHOD": "PUT", "BENCH_PATH": f"/api/storage/r2/{ns_r2}/{key}-put",
                               "BENCH_BODY_FILE": json_path, "BENCH_CONTENT_TYPE": "application/json"},
                check=check_r2j_put, connections=16, ceiling=ceil_put, timeout_s=10 if big else 5,
                payload_bytes=size))
            cases.append(Case(
                f"r2json_get_{label}", "r2-json", f"R2 GET of a {label.replace('ib', 'iB').upper().replace('IB', 'iB')} object as base64 JSON, 16 connections",
                "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": f"/api/storage/r2/{ns_r2}/{key}"},
                check=check_r2j_get, seed=seed_r2j, connections=16, ceiling=ceil_get,
                timeout_s=10 if big else 5, payload_bytes=size))

        # ---- R2 over the binary route
        def seed_r2raw(cl):
            st, data = cl.request("PUT", f"/api/r2/{bucket}/obj-1mib", body=open(one_mib, "rb").read(),
                                  headers={"Content-Type": "application/octet-stream"})
            expect_2xx(st, data, "seed raw R2 PUT")

        def check_r2raw_get(cl):
            st, data = cl.request("GET", f"/api/r2/{bucket}/obj-1mib")
            expect_2xx(st, data, "raw R2 GET")
            if data != open(one_mib, "rb").read():
                raise BenchError(f"raw R2 GET returned {len(data)} bytes that differ from what was put")

        def check_r2raw_put(cl):
            st, data = cl.request("PUT", f"/api/r2/{bucket}/obj-1mib-put", body=open(one_mib, "rb").read(),
                                  headers={"Content-Type": "application/octet-stream"})
            expect_2xx(st, data, "raw R2 PUT")

        cases.append(Case(
            "r2raw_put_1mib", "r2-raw", "binary-route R2 PUT of a 1 MiB object (same key), 16 connections",
            "static.lua", {"BENCH_METHOD": "PUT", "BENCH_PATH": f"/api/r2/{bucket}/obj-1mib-put",
                           "BENCH_BODY_FILE": one_mib, "BENCH_CONTENT_TYPE": "application/octet-stream"},
            check=check_r2raw_put, connections=16, ceiling="nginx_sink_1mib_put", timeout_s=10,
            payload_bytes=MiB))
        cases.append(Case(
            "r2raw_get_1mib", "r2-raw", "binary-route R2 GET of a 1 MiB object, 16 connections",
            "static.lua", {"BENCH_METHOD": "GET", "BENCH_PATH": f"/api/r2/{bucket}/obj-1mib"},
            check=check_r2raw_get, seed=seed_r2raw, connections=16, ceiling="nginx_static_1mib_get",
            timeout_s=10, payload_bytes=MiB))
        return cases

    # ---- running wrk cases -----------------------------------------------------------

    def run_case(self, case: Case, url: str, mode: str) -> dict:
        a = self.args
        duration, timeout_s = a.duration, case.timeout_s
        anchor = mode == "miniflare"
        if anchor:
            # The anchor is measured for its throughput, not held to our latency: one 1 MiB JSON
            # PUT can take Miniflare over 10 s at 16 connections (a run once completed none in 5 s),
            # so its requests may take a minute and its big-body runs last at least 15 s. Its
            # errors (it has reset 1 MiB GETs) are reported with its row, not as era-emu's.
            timeout_s = 60.0
            if case.timeout_s >= 10:
                duration = max(duration, 15.0)
        res = {"case": case.name, "group": case.group, "mode": mode, "desc": case.desc,
               "connections": case.connections, "threads": a.threads,
               "duration_s": duration, "warmup_s": a.warmup, "runs": [], "status": "ok"}
        cl = Client(url)
        try:
            if case.seed:
                t0 = time.perf_counter()
                case.seed(cl)
                res["seed_s"] = round(time.perf_counter() - t0, 3)
            case.check(cl)
            cl.close()
            pair = self.ceiling_by_name.get(case.ceiling) if case.paired and self.nginx else None
            res["loadavg"] = _loadavg()
            for i in range(a.runs):
                if pair:
                    # Same moment, same wrk settings: the ratio survives background-load drift.
                    if a.warmup > 0:
                        run_wrk(self.nginx.url, pair.script, pair.env, pair.connections, a.warmup, a.threads)
                    pr = run_wrk(self.nginx.url, pair.script, pair.env, pair.connections, a.duration, a.threads)
                    res.setdefault("paired_ceiling_rps", []).append(pr["rps"])
                if a.warmup > 0:
                    run_wrk(url, case.script, case.env, case.connections, a.warmup, a.threads, timeout_s,
                            allow_errors=anchor)
                pid = self.server_pid if mode != "ceiling" else None
                c0, t0 = proc_cpu_s(pid), time.perf_counter()
                r = run_wrk(url, case.script, case.env, case.connections, duration, a.threads, timeout_s,
                            allow_errors=anchor)
                c1, t1 = proc_cpu_s(pid), time.perf_counter()
                if c0 is not None and c1 is not None:
                    r["server_cpu_cores"] = round((c1 - c0) / (t1 - t0), 2)
                res["runs"].append(r)
                extra = (f"  ({100 * r['rps'] / pr['rps']:.0f}% of {pair.name} at {pr['rps']:.0f} req/s just before)"
                         if pair else "")
                log(f"  {mode:6} {case.name:24} run {i + 1}/{a.runs}: {r['rps']:>10.0f} req/s  "
                    f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms{extra}")
            # Post-flight: the server must still answer correctly after the load.
            case.check(cl)
        except (BenchError, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            res["status"] = "fail"
            res["error"] = f"{type(e).__name__}: {e}" if not isinstance(e, BenchError) else str(e)
            self.failures.append(f"{mode}/{case.name}: {res['error']}")
            log(f"  {mode:6} {case.name:24} FAILED: {res['error']}")
        finally:
            cl.close()
        if res["runs"]:
            rps = [r["rps"] for r in res["runs"]]
            res["rps"] = {"median": median(rps), **spread(rps)}
            res["p50_ms"] = median([r["p50_ms"] for r in res["runs"]])
            res["p99_ms"] = median([r["p99_ms"] for r in res["runs"]])
            res["p99_ms_max"] = max(r["p99_ms"] for r in res["runs"])
            res["non_2xx"] = sum(r["non_2xx"] for r in res["runs"])
            cpu = [r["server_cpu_cores"] for r in res["runs"] if "server_cpu_cores" in r]
            if cpu:
                res["server_cpu_cores"] = median(cpu)
            res["socket_errors"] = sum(sum(r["socket_errors"].values()) for r in res["runs"])
            if case.payload_bytes:
                res["payload_mb_per_s"] = res["rps"]["median"] * case.payload_bytes / 1e6
            if res.get("paired_ceiling_rps"):
                ratios = [r["rps"] / c for r, c in zip(res["runs"], res["paired_ceiling_rps"])]
                res["paired_ceiling_frac"] = {"median": median(ratios), "min": min(ratios), "max": max(ratios)}
        res["ceiling"] = case.ceiling
        res["target"] = case.target
        return res

    # ---- 64 MiB sequential raw transfers --------------------------------------------

    def big_transfers(self, url: str, put_path: str, get_path: str, n: int, size: int,
                      label: str, mode: str, verify: bool = True) -> dict:
        src = self.payload(f"{size // MiB}m.bin", size)
        res = {"case": label, "group": "r2-raw-big" if mode != "ceiling" else "ceiling", "mode": mode,
               "desc": f"{n} sequential {size // MiB} MiB transfers (PUT then GET), one connection, MB/s = 10^6 bytes/s",
               "runs_n": n, "status": "ok"}
        try:
            put_s, get_s = [], []
            if put_path:
                for i in range(n):
                    put_s.append(_stream_put(url, put_path, src, size))
                res["put_mb_per_s"] = {"median": size / 1e6 / median(put_s),
                                       **{k: v for k, v in spread([size / 1e6 / s for s in put_s]).items()}}
                res["put_seconds"] = [round(s, 4) for s in put_s]
            if get_path:
                if verify:
                    want = _sha256_file(src)
                    got = _stream_get(url, get_path, size, hash_it=True)
                    if got != want:
                        raise BenchError(f"GET {get_path} returned different bytes than were put")
                for i in range(n):
                    get_s.append(_stream_get(url, get_path, size))
                res["get_mb_per_s"] = {"median": size / 1e6 / median(get_s),
                                       **{k: v for k, v in spread([size / 1e6 / s for s in get_s]).items()}}
                res["get_seconds"] = [round(s, 4) for s in get_s]
            log(f"  {mode:6} {label:24} PUT {res.get('put_mb_per_s', {}).get('median', 0):.0f} MB/s  "
                f"GET {res.get('get_mb_per_s', {}).get('median', 0):.0f} MB/s")
        except (BenchError, OSError, http.client.HTTPException) as e:
            res["status"] = "fail"
            res["error"] = str(e) if isinstance(e, BenchError) else f"{type(e).__name__}: {e}"
            self.failures.append(f"{mode}/{label}: {res['error']}")
            log(f"  {mode:6} {label:24} FAILED: {res['error']}")
        return res

    # ---- S3 through boto3, beside the binary route ------------------------------------

    def s3_transfers(self, url: str, mode: str, n_small: int, n_big: int, big_mib: int) -> list:
        """boto3 PUT/GET of 1 MiB objects and transfer-manager upload/download of a big file, with
        the binary route's 1 MiB figures from the same loop shape beside them."""
        rows = []
        try:
            import boto3
            from boto3.s3.transfer import TransferConfig
            from botocore.config import Config
        except ImportError:
            return [{"case": "s3", "group": "s3", "mode": mode, "status": "skipped",
                     "error": "boto3 is not installed (scripts/dev setup installs it)"}]
        s3 = boto3.client("s3", endpoint_url=url + "/s3", region_name="auto", aws_access_key_id="era-emu",
                          aws_secret_access_key="era-emu-secret", config=Config(retries={"total_max_attempts": 1}))
        bucket = (self.run_tag + "s3").lower().replace("_", "-")
        small = self.payload("1m.bin", MiB)

        def row(case, desc, n, size, put_s, get_s):
            r = {"case": case, "group": "s3", "mode": mode, "status": "ok", "runs_n": n, "desc": desc}
            for k, xs in (("put", put_s), ("get", get_s)):
                if xs:
                    mbs = [size / 1e6 / x for x in xs]
                    r[f"{k}_mb_per_s"] = {"median": median(mbs), **spread(mbs)}
                    r[f"{k}_ops_per_s"] = 1 / median(xs)
            log(f"  {mode:6} {case:24} PUT {r.get('put_mb_per_s', {}).get('median', 0):.0f} MB/s  "
                f"GET {r.get('get_mb_per_s', {}).get('median', 0):.0f} MB/s")
            return r

        try:
            try:
                s3.create_bucket(Bucket=bucket)
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
            data = open(small, "rb").read()
            put_s, get_s = [], []
            for i in range(n_small):
                t0 = time.perf_counter()
                s3.put_object(Bucket=bucket, Key=f"small-{i}", Body=data)
                put_s.append(time.perf_counter() - t0)
            for i in range(n_small):
                t0 = time.perf_counter()
                got = s3.get_object(Bucket=bucket, Key=f"small-{i}")["Body"].read()
                get_s.append(time.perf_counter() - t0)
                if len(got) != MiB:
                    raise BenchError(f"boto3 GET small-{i}: {len(got)} bytes")
            rows.append(row("boto3_1mib", f"{n_small} sequential boto3 put_object / get_object of 1 MiB "
                            "(SigV4, payload SHA-256 signed, CRC32 checksum)", n_small, MiB, put_s, get_s))
            put_s, get_s = [], []
            for i in range(n_small):
                put_s.append(_stream_put(url, f"/api/r2/{bucket}/raw-{i}", small, MiB))
            for i in range(n_small):
                get_s.append(_stream_get(url, f"/api/r2/{bucket}/raw-{i}", MiB))
            rows.append(row("r2raw_1mib", f"{n_small} sequential binary-route PUT / GET of 1 MiB (http.client, "
                            "a connection each)", n_small, MiB, put_s, get_s))
            big = self.payload(f"{big_mib}m.bin", big_mib * MiB)
            cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
            put_s, get_s = [], []
            out = os.path.join(self.work, "s3-download.bin")
            for i in range(n_big):
                t0 = time.perf_counter()
                s3.upload_file(big, bucket, f"big-{i}", Config=cfg)
                put_s.append(time.perf_counter() - t0)
            for i in range(n_big):
                t0 = time.perf_counter()
                s3.download_file(bucket, f"big-{i}", out, Config=cfg)
                get_s.append(time.perf_counter() - t0)
            if os.path.getsize(out) != big_mib * MiB:
                raise BenchError("boto3 download_file: wrong size")
            os.unlink(out)
            rows.append(row(f"boto3_tm_{big_mib}mib", f"{n_big} boto3 upload_file / download_file of {big_mib} MiB "
                            "(transfer manager: 8 MiB parts, 4 threads)", n_big, big_mib * MiB, put_s, get_s))
        except Exception as e:  # noqa: BLE001 — any client error is this case's failure, reported
            rows.append({"case": "s3", "group": "s3", "mode": mode, "status": "fail",
                         "error": f"{type(e).__name__}: {e}"})
            self.failures.append(f"{mode}/s3: {type(e).__name__}: {e}")
            log(f"  {mode:6} s3 FAILED: {e}")
        return rows

    # ---- start-up --------------------------------------------------------------------

    def startup(self, mode: str, n: int) -> dict:
        res = {"case": "startup", "group": "startup", "mode": mode, "runs_n": n, "status": "ok",
               "desc": "spawn `era-emu up` (fresh data dir) until the first 200 from GET /_emu/health"}
        # Harness overhead: what spawning /bin/true and reaping it costs from Python.
        base = []
        for _ in range(10):
            t0 = time.perf_counter()
            subprocess.Popen(["/bin/true"], close_fds=True).wait()
            base.append((time.perf_counter() - t0) * 1000)
        res["spawn_overhead_ms"] = median(base)
        to_ready, to_health, to_stop, rss = [], [], [], []
        try:
            for i in range(n):
                srv = EmuServer(self.args.bin, mode, self.work, os.path.join(self.work, f"startup-{mode}.log"))
                t0 = time.perf_counter()
                try:
                    ready = srv.start()
                    t1, body = srv.wait_health()
                    if i == 0:
                        try:
                            res["health"] = json.loads(body)
                        except ValueError:
                            raise BenchError(f"/_emu/health body is not JSON: {body[:100]!r}")
                    to_ready.append(ready * 1000)
                    to_health.append((t1 - t0) * 1000)
                    rss.append(proc_status(srv.pid)["VmRSS"])
                except BaseException:
                    srv.kill()  # report the first error, not the clean-up's
                    raise
                took = srv.stop()
                if took is None:
                    raise BenchError("era-emu did not exit within 10 s of SIGTERM")
                if srv.last_rc != 0:
                    res.setdefault("warnings", []).append(f"run {i + 1}: exit status {srv.last_rc} after SIGTERM")
                to_stop.append(took * 1000)
        except (BenchError, OSError) as e:
            res["status"] = "fail"
            res["error"] = str(e)
            self.failures.append(f"{mode}/startup: {e}")
            log(f"  {mode:6} startup FAILED: {e}")
        if to_health:
            res["ms"] = {"median": median(to_health), "p90": percentile(to_health, 90), **spread(to_health)}
            res["ready_line_ms_median"] = median(to_ready)
            res["sigterm_exit_ms_median"] = median(to_stop) if to_stop else None
            res["rss_at_ready_kib_median"] = median(rss)
            res["target"] = ("ms_max", 10)  # issue 19
            log(f"  {mode:6} startup: median {res['ms']['median']:.1f} ms (min {res['ms']['min']:.1f}, "
                f"max {res['ms']['max']:.1f}; ready line {res['ready_line_ms_median']:.1f} ms; "
                f"spawn overhead {res['spawn_overhead_ms']:.2f} ms)")
        return res

    # ---- reset / snapshot ------------------------------------------------------------

    def reset_bench(self, url: str, mode: str, n: int, restores: int) -> list:
        out = []
        cl = Client(url)
        t = self.run_tag
        ns_kv, ns_r2, ns_d1 = f"{t}rkv", f"{t}rr2", f"{t}rd1"
        obj = open(self.payload("1k.bin", 1024), "rb").read()
        r2_body = json.dumps({"content": base64.b64encode(obj).decode()}).encode()
        kv_bodies = [json.dumps({"value": f"value-{i:04d}-" + "x" * 80}).encode() for i in range(100)]
        have = {"kv": True, "r2": True, "d1": True}
        missing = {}

        def seed():
            for i, b in enumerate(kv_bodies):
                st, data = cl.request("PUT", f"/api/storage/kv/{ns_kv}/k{i:03d}", body=b,
                                      headers={"Content-Type": "application/json"})
                expect_2xx(st, data, "reset seed KV PUT")
            if have["r2"]:
                for i in range(10):
                    st, data = cl.request("PUT", f"/api/storage/r2/{ns_r2}/o{i}", body=r2_body,
                                          headers={"Content-Type": "application/json"})
                    if not 200 <= st < 300:
                        if "r2" not in missing and route_missing(st, data):
                            have["r2"] = False
                            missing["r2"] = f"R2 JSON PUT answered HTTP {st}: not seeded"
                            break
                        expect_2xx(st, data, "reset seed R2 PUT")
            if have["d1"]:
                for sql in ("CREATE TABLE IF NOT EXISTS rt (id INTEGER PRIMARY KEY, v TEXT)",
                            "INSERT INTO rt (v) VALUES ('x')"):
                    st, data = cl.request("POST", f"/api/storage/d1/{ns_d1}/exec", json_body={"sql": sql})
                    if not 200 <= st < 300:
                        if "d1" not in missing and route_missing(st, data):
                            have["d1"] = False
                            missing["d1"] = f"D1 exec answered HTTP {st}: not seeded"
                            break
                        expect_2xx(st, data, "reset seed D1 exec")

        # --- reset
        res = {"case": "reset", "group": "control", "mode": mode, "status": "ok",
               "desc": "POST /_emu/reset with 100 KV keys, 10 R2 objects (1 KiB) and one D1 table present"}
        try:
            seed()
            st, data = cl.request("POST", "/_emu/reset", json_body={})
            if route_missing(st, data):
                res["status"] = "n/a"
                res["note"] = f"POST /_emu/reset answered HTTP {st}: not implemented yet"
                log(f"  {mode:6} reset: n/a (HTTP {st})")
            else:
                expect_2xx(st, data, "POST /_emu/reset")
                st, data = cl.request("GET", f"/api/storage/kv/{ns_kv}/k000")
                if st != 404:
                    raise BenchError(f"after POST /_emu/reset a seeded KV key still answers HTTP {st}")
                lat = []
                for i in range(n):
                    seed()
                    t0 = time.perf_counter()
                    st, data = cl.request("POST", "/_emu/reset", json_body={})
                    lat.append((time.perf_counter() - t0) * 1000)
                    expect_2xx(st, data, "POST /_emu/reset")
                res["n"] = n
                if missing:
                    res["note"] = "; ".join(missing.values())
                res["seeded"] = {"kv_keys": 100, "r2_objects": 10 if have["r2"] else 0,
                                 "d1_tables": 1 if have["d1"] else 0}
                res["ms"] = {"median": median(lat), "p99": percentile(lat, 99), **spread(lat)}
                log(f"  {mode:6} reset: median {res['ms']['median']:.3f} ms, p99 {res['ms']['p99']:.3f} ms "
                    f"(n={n}, seeded {res['seeded']})")
        except (BenchError, OSError, http.client.HTTPException) as e:
            res["status"] = "fail"
            res["error"] = str(e)
            self.failures.append(f"{mode}/reset: {e}")
            log(f"  {mode:6} reset FAILED: {e}")
        out.append(res)

        # --- snapshot + restore
        snap = {"case": "snapshot_restore", "group": "control", "mode": mode, "status": "ok",
                "desc": "POST /_emu/snapshots {name:b} with the reset data set, then POST /_emu/snapshots/b/restore"}
        try:
            seed()
            t0 = time.perf_counter()
            st, data = cl.request("POST", "/_emu/snapshots", json_body={"name": "b"})
            create_ms = (time.perf_counter() - t0) * 1000
            if route_missing(st, data):
                snap["status"] = "n/a"
                snap["note"] = f"POST /_emu/snapshots answered HTTP {st}: not implemented yet"
                log(f"  {mode:6} snapshot: n/a (HTTP {st})")
            else:
                expect_2xx(st, data, "POST /_emu/snapshots")
                snap["create_ms"] = create_ms
                lat = []
                for i in range(restores):
                    # Change something so the restore has work to do.
                    st, data = cl.request("PUT", f"/api/storage/kv/{ns_kv}/k000", json_body={"value": "changed"})
                    expect_2xx(st, data, "KV PUT before restore")
                    t0 = time.perf_counter()
                    st, data = cl.request("POST", "/_emu/snapshots/b/restore", json_body={})
                    lat.append((time.perf_counter() - t0) * 1000)
                    expect_2xx(st, data, "POST /_emu/snapshots/b/restore")
                    if i == 0:
                        st, data = cl.request("GET", f"/api/storage/kv/{ns_kv}/k000")
                        expect_2xx(st, data, "KV GET after restore")
                        if json.loads(data).get("value") == "changed":
                            raise BenchError("restore did not bring back the snapshotted KV value")
                snap["n"] = restores
                snap["ms"] = {"median": median(lat), "p99": percentile(lat, 99), **spread(lat)}
                log(f"  {mode:6} snapshot restore: median {snap['ms']['median']:.3f} ms, "
                    f"p99 {snap['ms']['p99']:.3f} ms (n={restores}; create {create_ms:.2f} ms)")
                cl.request("DELETE", "/_emu/snapshots/b")
            st, _ = cl.request("POST", "/_emu/reset", json_body={})
        except (BenchError, OSError, http.client.HTTPException) as e:
            snap["status"] = "fail"
            snap["error"] = str(e)
            self.failures.append(f"{mode}/snapshot_restore: {e}")
            log(f"  {mode:6} snapshot FAILED: {e}")
        finally:
            cl.close()
        out.append(snap)
        return out

    # ---- per-test reset through the test helpers ---------------------------------------

    def helper_reset_bench(self, url: str, mode: str, n: int) -> list:
        """What each test helper adds before every test (reset + events mark, after a typical
        test's writes), measured by a small driver per helper against this server. A helper
        whose runtime or binary is missing is reported as skipped, never silently dropped."""
        helpers = os.path.join(BENCH_DIR, "helpers")
        drivers = [
            ("reset_via_pytest_fixture", "pytest fixture (era.reset + era.events.mark, pytest_era_emu)",
             [sys.executable, os.path.join(helpers, "reset_pytest.py")], sys.executable),
            ("reset_via_jest_helper", "jest/vitest helper (era.reset + era.events.mark, Node fetch)",
             ["node", os.path.join(helpers, "reset_jest.js")], shutil.which("node")),
            ("reset_via_cpp_testkit", "C++ testkit (emu.reset + emu.event_mark, era::client)",
             [self.args.testkit_bench], self.args.testkit_bench if os.access(self.args.testkit_bench, os.X_OK)
             else None),
        ]
        out = []
        for name, what, cmd, present in drivers:
            res = {"case": name, "group": "control", "mode": mode, "status": "ok", "target": ("ms_max", 5),
                   "desc": f"per-test overhead through the {what}, after 5 KV keys + 1 R2 object + 1 D1 row"}
            if not present:
                res["status"] = "skipped"
                res["note"] = f"{cmd[0]} not found (build it / install the runtime)"
                log(f"  {mode:6} {name}: skipped ({res['note']})")
                out.append(res)
                continue
            try:
                p = subprocess.run(cmd + [str(n), url], capture_output=True, text=True, timeout=300, cwd=ROOT)
                if p.returncode != 0:
                    raise BenchError(f"{os.path.basename(cmd[-1])} exited {p.returncode}: "
                                     f"{(p.stderr or p.stdout).strip()[-400:]}")
                lat = json.loads(p.stdout)["samples_ms"]
                if len(lat) != n:
                    raise BenchError(f"expected {n} samples, got {len(lat)}")
                res["n"] = n
                res["ms"] = {"median": median(lat), "p99": percentile(lat, 99), **spread(lat)}
                log(f"  {mode:6} {name}: median {res['ms']['median']:.3f} ms, p99 {res['ms']['p99']:.3f} ms (n={n})")
            except (BenchError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
                res["status"] = "fail"
                res["error"] = str(e)
                self.failures.append(f"{mode}/{name}: {e}")
                log(f"  {mode:6} {name} FAILED: {e}")
            out.append(res)
        return out


# -------------------------------------------------------------------- raw transfers


# ---- the web inspector ---------------------------------------------------------------

INSPECTOR_LOAD = ["/_emu/ui/", "/_emu/ui/app.css", "/_emu/ui/app.js", "/_emu/time", "/_emu/inspect",
                  "/_emu/config", "/_emu/faults", "/_emu/snapshots"]


def inspector_page_load(url: str, n: int, mode: str) -> dict:
    """What opening the inspector costs: every request the overview makes, on one keep-alive
    connection, in order (a browser runs some in parallel, so this is an upper bound)."""
    res = {"case": "inspector_page_load", "group": "inspector", "mode": mode, "status": "ok", "runs_n": n,
           "desc": f"the inspector's overview: {len(INSPECTOR_LOAD)} requests (page, script, styles, data), sequential"}
    times, size = [], 0
    try:
        for _ in range(n):
            cl = Client(url)
            t0 = time.perf_counter()
            total = 0
            for path in INSPECTOR_LOAD:
                st, data = cl.request("GET", path)
                expect_2xx(st, data, f"inspector GET {path}")
                total += len(data)
            times.append((time.perf_counter() - t0) * 1000)
            cl.close()
            size = total
        res["ms"] = {"median": median(times), "p90": percentile(times, 90), **spread(times)}
        res["bytes"] = size
        res["target"] = ("ms_max", 200)
        log(f"  inspector page load: {res['ms']['median']:.1f} ms for {size / 1024:.0f} KiB")
    except (BenchError, OSError) as e:
        res["status"], res["error"] = "fail", str(e)
    return res


class NoisyDisk:
    """Another process's big write to the data dir's disk: 1 GiB in 8 MiB writes, then fsync,
    repeated until stop() — the "host's disk was busy" of issue 19."""

    def __init__(self, directory: str, total=1 << 30):
        self.path = os.path.join(directory, "noise.bin")
        self.total = total
        self.stop_flag = threading.Event()
        self.written = 0
        self.thread = None

    def _run(self):
        chunk = b"\xa5" * (8 << 20)
        while not self.stop_flag.is_set():
            with open(self.path, "wb") as f:
                n = 0
                while n < self.total and not self.stop_flag.is_set():
                    f.write(chunk)
                    n += len(chunk)
                    self.written += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.unlink(self.path)

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        if self.thread:
            self.thread.join(timeout=60)
        try:
            os.unlink(self.path)
        except OSError:
            pass


class InspectorOpen:
    """The Events view left open: a long-poll on /_emu/events/live, /_emu/stats every 2 s and
    /_emu/time every second, as the page does, until stop()."""

    def __init__(self, url: str):
        self.url, self.stop_flag, self.threads, self.calls = url, threading.Event(), [], 0

    def _loop(self, path_fn, pause, on_body=None):
        cl = Client(self.url, timeout=30)
        while not self.stop_flag.is_set():
            try:
                st, data = cl.request("GET", path_fn())
                self.calls += 1
                if on_body and st == 200:
                    on_body(data)
            except (OSError, ValueError):
                pass
            self.stop_flag.wait(pause)
        cl.close()

    def start(self):
        since = {"n": 0}

        def live():  # nothing matches service=d1 here: each call waits its 2 s, as an idle page's does
            return f"/_emu/events/live?since={since['n']}&wait_ms=2000&service=d1"

        def advance(data):
            since["n"] = json.loads(data)["next"]

        for fn, pause, cb in ((live, 0, advance), (lambda: "/_emu/stats?seconds=120", 2, None),
                              (lambda: "/_emu/time", 1, None)):
            t = threading.Thread(target=self._loop, args=(fn, pause, cb), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=5)


# ---- the Miniflare anchor ---------------------------------------------------------------

MINIFLARE_DIR = os.path.join(BENCH_DIR, "miniflare")


def miniflare_modules() -> str:
    """A directory whose node_modules holds miniflare: $MINIFLARE_DIR, else bench/miniflare
    (npm install miniflare there when missing)."""
    for d in (os.environ.get("MINIFLARE_DIR"), MINIFLARE_DIR):
        if d and os.path.isdir(os.path.join(d, "node_modules", "miniflare")):
            return d
    log("installing npm miniflare into bench/miniflare (the anchor for --against miniflare)")
    run(["npm", "install", "--prefix", MINIFLARE_DIR, "--no-save", "--no-audit", "--no-fund",
         "--loglevel=error", "miniflare"])
    return MINIFLARE_DIR


class MiniflareServer:
    """Miniflare 4 serving the ERA proxy on 127.0.0.1, storage persisted in a work dir."""

    def __init__(self, workdir: str):
        self.dir = os.path.join(workdir, "miniflare-data")
        self.proc = None
        self.url = None

    def start(self, timeout=60.0):
        mods = miniflare_modules()
        self.log = open(os.path.join(os.path.dirname(self.dir), "miniflare.log"), "w")
        self.proc = subprocess.Popen(["node", os.path.join(MINIFLARE_DIR, "serve.mjs"), mods, self.dir, str(free_port())],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        t0 = time.time()
        while time.time() - t0 < timeout:
            line = self.proc.stdout.readline()
            if line.startswith("READY "):
                self.url = line.split()[1]
                return self.url
            if not line and self.proc.poll() is not None:
                break
        raise BenchError("Miniflare did not start (see miniflare.log in the work dir)")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def anchor_case(case) -> bool:
    """Cases the ERA proxy itself serves (its /api/storage routes and the health probe)."""
    path = case.env.get("BENCH_PATH", "")
    if case.group == "framework":
        return True
    if case.connections > 1000:  # Miniflare at 10,000 connections measures only its failures
        return False
    if path:
        return path.startswith("/api/storage/")
    return case.script in ("kv_put_random.lua",) or case.group in ("d1",)


def _stream_put(url, path, src, size) -> float:
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        with open(src, "rb") as f:
            t0 = time.perf_counter()
            conn.putrequest("PUT", path)
            conn.putheader("Content-Length", str(size))
            conn.putheader("Content-Type", "application/octet-stream")
            conn.endheaders()
            # socket.sendfile = os.sendfile (zero-copy) plus the waiting a socket with a timeout needs.
            sent = conn.sock.sendfile(f, 0, size)
            if sent != size:
                raise BenchError(f"PUT {path}: sent {sent} of {size} bytes")
            resp = conn.getresponse()
            body = resp.read()
            t1 = time.perf_counter()
        if not 200 <= resp.status < 300:
            raise BenchError(f"PUT {path}: HTTP {resp.status} {body[:200]!r}")
        return t1 - t0
    finally:
        conn.close()


def _stream_get(url, path, size, hash_it=False):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    buf = bytearray(4 * MiB)
    mv = memoryview(buf)
    h = hashlib.sha256() if hash_it else None
    try:
        t0 = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        if not 200 <= resp.status < 300:
            raise BenchError(f"GET {path}: HTTP {resp.status} {resp.read()[:200]!r}")
        total = 0
        while True:
            n = resp.readinto(mv)
            if not n:
                break
            if h:
                h.update(mv[:n])
            total += n
        t1 = time.perf_counter()
        if total != size:
            raise BenchError(f"GET {path}: got {total} bytes, want {size}")
        return h.hexdigest() if h else t1 - t0
    finally:
        conn.close()


def loopback_tcp_put(src: str, size: int, n: int) -> list:
    """Seconds per `size`-byte sendfile into a bare TCP socket that a reader thread drains into a
    4 MiB buffer: what loopback itself can carry one way, with no HTTP server in the way."""
    import threading
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = []

    def drain():
        for _ in range(n):
            c, _ = srv.accept()
            buf = bytearray(4 * MiB)
            total = 0
            with c:
                while True:
                    k = c.recv_into(buf)
                    if not k:
                        break
                    total += k
                c.sendall(b"k")
            got.append(total)

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    out = []
    try:
        for _ in range(n):
            with open(src, "rb") as f, socket.create_connection(("127.0.0.1", port)) as c:
                t0 = time.perf_counter()
                c.sendfile(f, 0, size)
                c.shutdown(socket.SHUT_WR)
                if c.recv(1) != b"k":
                    raise BenchError("loopback sink did not acknowledge")
                out.append(time.perf_counter() - t0)
    finally:
        t.join(10)
        srv.close()
    if got != [size] * n:
        raise BenchError(f"loopback sink received {got}, want {n} x {size}")
    return out


def _sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_status(cl, method, path, body=None):
    st, data = cl.request(method, path, body=body)
    expect_2xx(st, data, f"{method} {path}")


def _check_body(cl, method, path, expect_len):
    st, data = cl.request(method, path)
    expect_2xx(st, data, f"{method} {path}")
    if len(data) != expect_len:
        raise BenchError(f"{method} {path}: {len(data)} bytes, want {expect_len}")


# ------------------------------------------------------------------------ targets


def evaluate_targets(results: dict) -> list:
    """Returns [{target, value, ok}] and annotates each result with target_ok."""
    ceilings = {r["case"]: r for r in results["cases"] if r["group"] == "ceiling" and r.get("rps")}
    rows = []
    for r in results["cases"]:
        tgt = r.get("target")
        if r.get("paired_ceiling_frac"):
            r["ceiling_frac"] = r["paired_ceiling_frac"]["median"]
            r["ceiling_frac_paired"] = True
        elif r.get("rps") and r.get("ceiling") in ceilings:
            r["ceiling_frac"] = r["rps"]["median"] / ceilings[r["ceiling"]]["rps"]["median"]
        if not tgt or r["mode"] != "memory" and r["group"] not in ("startup",) and not r["case"].endswith("_noisy_disk"):
            continue
        kind, val = tgt
        ok, got = None, None
        if r["status"] != "ok":
            ok, got = False, r["status"]
        elif kind == "rps_min":
            got = r["rps"]["median"]
            ok = got >= val
        elif kind == "ceiling_frac_min":
            got = r.get("ceiling_frac")
            ok = got is not None and got >= val
        elif kind == "ms_max":
            got = r["ms"]["median"]
            ok = got <= val
        elif kind == "p99_ms_max":
            got = r.get("p99_ms_max")
            ok = got is not None and got <= val and not r.get("non_2xx") and not r.get("socket_errors")
        r["target_ok"] = ok
        target = f"{kind} {val}"
        if r.get("nginx_noisy_p99_ms") is not None:
            target += f" (nginx under the same noise: p99 {r['nginx_noisy_p99_ms']:.1f} ms)"
        rows.append({"case": r["case"], "mode": r["mode"], "target": target, "value": got, "ok": ok})
    for m in results.get("memory", []):
        if m["mode"] in ("memory", "disk") and m.get("idle_rss_kib") is not None:
            ok = m["idle_rss_kib"] <= 8 * 1024  # issue 19
            m["target_ok"] = ok
            rows.append({"case": "idle_rss", "mode": m["mode"], "target": "rss_mib_max 8",
                         "value": m["idle_rss_kib"] / 1024, "ok": ok})
    for r in results["cases"]:
        if r["group"] == "r2-raw-big" and r["mode"] == "memory":
            for k, lim in (("get_mb_per_s", 1000), ("put_mb_per_s", 500)):
                v = r.get(k, {}).get("median") if r["status"] == "ok" else None
                rows.append({"case": f"{r['case']} {k[:3].upper()}", "mode": "memory",
                             "target": f"mb_per_s_min {lim}", "value": v if v is not None else r["status"],
                             "ok": v is not None and v >= lim})
    n_err = sum(r.get("non_2xx", 0) + r.get("socket_errors", 0) for r in results["cases"]
                if r.get("mode") != "miniflare")  # the anchor's errors are its own
    failed = [f for f in results["failures"]]
    rows.append({"case": "no_request_errors", "mode": "all", "target": "0 errors, 0 failed cases",
                 "value": f"{n_err} errors, {len(failed)} failed", "ok": n_err == 0 and not failed})
    return rows


# ------------------------------------------------------------------------ reporting


def fmt(v, nd=0, suffix=""):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return f"{v:,.{nd}f}{suffix}"


def markdown(results: dict) -> str:
    m = results["machine"]
    L = []
    L.append(f"### Benchmark {results['date']} — `{results['git_sha']}`"
             + (" (smoke)" if results["smoke"] else ""))
    L.append("")
    L.append(f"Machine: {m['nproc']} × {m['cpu_model']}, {m['mem_total_mib']} MiB RAM, {m['os']}, "
             f"kernel {m['kernel']}; {(m.get('wrk') or '').split(' Copyright')[0]}; {m.get('nginx')}; "
             f"disk-mode data dir on {m.get('tmp_fs')}, memory mode on /dev/shm ({m.get('shm_fs')}). "
             f"Target: {results['target_desc']}. wrk: {results['settings']['threads']} threads, "
             f"{results['settings']['warmup_s']} s warm-up + {results['settings']['duration_s']} s measured, "
             f"{results['settings']['runs']} run(s) per case; figures are medians over runs, "
             f"spread = (max−min)/median. Load average at start / end: {results.get('loadavg_start')} / "
             f"{results.get('loadavg_end')}"
             + (f"; binary sha256 {results['binary']['sha256']}… built {results['binary']['mtime']}."
                if results.get("binary") else "."))
    if results.get("busy_at_start"):
        L.append("")
        L.append(f"> **Warning: the machine was busy** (load average {results.get('loadavg_start')} on "
                 f"{m['nproc']} CPUs at start): other processes competed for the CPUs, so absolute numbers "
                 f"are low and noisy, and ceiling ratios are skewed (a 64-thread server wins more CPU "
                 f"share than nginx's 2 workers under contention).")
    L.append("")
    L.append("**Targets**")
    L.append("")
    L.append("| target | case | value | result |")
    L.append("|---|---|---|---|")
    for t in results["targets"]:
        v = t["value"]
        vs = fmt(v, 1) if isinstance(v, (int, float)) else str(v)
        L.append(f"| {t['target']} | {t['mode']}/{t['case']} | {vs} | {'PASS' if t['ok'] else 'MISS'} |")
    L.append("")
    L.append("**Start-up, memory, reset**")
    L.append("")
    L.append("| mode | case | median | p90/p99 | min–max | notes |")
    L.append("|---|---|---|---|---|---|")
    for r in results["cases"]:
        if r["group"] == "startup":
            if r.get("ms"):
                L.append(f"| {r['mode']} | start-up (spawn → health 200) | {fmt(r['ms']['median'], 1)} ms | "
                         f"p90 {fmt(r['ms']['p90'], 1)} ms | {fmt(r['ms']['min'], 1)}–{fmt(r['ms']['max'], 1)} ms | "
                         f"n={r['runs_n']}; ready line {fmt(r.get('ready_line_ms_median'), 1)} ms; "
                         f"SIGTERM→exit {fmt(r.get('sigterm_exit_ms_median'), 1)} ms"
                         f"{' (' + str(len(r['warnings'])) + ' unclean exits!)' if r.get('warnings') else ''}; "
                         f"spawn overhead {fmt(r.get('spawn_overhead_ms'), 2)} ms |")
            else:
                L.append(f"| {r['mode']} | start-up | {r['status']} | | | {r.get('error', r.get('note', ''))} |")
        elif r["group"] == "inspector":
            if r.get("ms"):
                L.append(f"| {r['mode']} | inspector page load ({len(INSPECTOR_LOAD)} requests, {fmt(r.get('bytes', 0) / 1024, 0)} KiB) | "
                         f"{fmt(r['ms']['median'], 1)} ms | p90 {fmt(r['ms']['p90'], 1)} ms | "
                         f"{fmt(r['ms']['min'], 1)}–{fmt(r['ms']['max'], 1)} ms | n={r['runs_n']}, sequential on one connection |")
            else:
                L.append(f"| {r['mode']} | inspector page load | {r['status']} | | | {r.get('error', '')} |")
        elif r["group"] == "control":
            if r.get("ms"):
                extra = f"create {fmt(r.get('create_ms'), 2)} ms; " if r.get("create_ms") is not None else ""
                seeded = f"seeded {r['seeded']}; " if r.get("seeded") else ""
                seeded += f"{r['note']}; " if r.get("note") else ""
                L.append(f"| {r['mode']} | {r['case']} | {fmt(r['ms']['median'], 3)} ms | "
                         f"p99 {fmt(r['ms']['p99'], 3)} ms | {fmt(r['ms']['min'], 3)}–{fmt(r['ms']['max'], 3)} ms | "
                         f"{extra}{seeded}n={r.get('n')} |")
            else:
                L.append(f"| {r['mode']} | {r['case']} | {r['status']} | | | {r.get('error', r.get('note', ''))} |")
    for mem in results.get("memory", []):
        split = rss_split(mem.get("idle_rss_anon_kib"), mem.get("idle_rss_file_kib"))
        L.append(f"| {mem['mode']} | RSS idle after start | {fmt(mem.get('idle_rss_kib', 0) / 1024, 1)} MiB | | | {split} |")
        L.append(f"| {mem['mode']} | peak RSS (VmHWM) after load | "
                 f"{fmt((mem.get('peak_rss_kib') or 0) / 1024, 1)} MiB | | | |")
    L.append("")
    L.append("**Throughput (wrk)**")
    L.append("")
    L.append("| mode | case | conns | req/s | spread | p50 ms | p99 ms | MB/s | non-2xx | server CPU | of ceiling | status |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["cases"]:
        if "connections" not in r:
            continue
        if r.get("rps"):
            frac = f"{100 * r['ceiling_frac']:.0f}% of {r['ceiling']}" if r.get("ceiling_frac") else ""
            if r.get("ceiling_frac_paired"):
                frac += " (paired runs)"
            status = r["status"] if r["status"] == "ok" else f"**{r['status'].upper()}**: {r.get('error', '')[:160]}"
            if r["mode"] == "miniflare" and (r.get("non_2xx") or r.get("socket_errors")):
                status += f" (Miniflare's own errors: {r.get('non_2xx', 0)} non-2xx, {r.get('socket_errors', 0)} socket)"
            if r.get("target_ok") is not None:
                status += " / target " + ("PASS" if r["target_ok"] else "MISS")
            L.append(f"| {r['mode']} | {r['case']} | {r['connections']} | {fmt(r['rps']['median'])} | "
                     f"{fmt(r['rps']['spread_pct'], 0, '%')} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | "
                     f"{fmt(r.get('payload_mb_per_s'), 0)} | {r['non_2xx']} | "
                     f"{fmt(r.get('server_cpu_cores'), 2)} | {frac} | {status} |")
        else:
            L.append(f"| {r['mode']} | {r['case']} | {r['connections']} | — | | | | | | | | "
                     f"**{r['status'].upper()}**: {r.get('error', '')[:160]} |")
    big = [r for r in results["cases"] if r["group"] == "r2-raw-big"
           or r["group"] == "ceiling" and ("put_mb_per_s" in r or "get_mb_per_s" in r or "runs_n" in r)]
    if big:
        L.append("")
        L.append("**64 MiB sequential transfers (one connection, MB/s = 10⁶ B/s)**")
        L.append("")
        L.append("| mode | case | PUT MB/s (min–max) | GET MB/s (min–max) | status |")
        L.append("|---|---|---|---|---|")
        for r in big:
            p, g = r.get("put_mb_per_s"), r.get("get_mb_per_s")
            ps = f"{fmt(p['median'])} ({fmt(p['min'])}–{fmt(p['max'])})" if p else "—"
            gs = f"{fmt(g['median'])} ({fmt(g['min'])}–{fmt(g['max'])})" if g else "—"
            L.append(f"| {r['mode']} | {r['case']} | {ps} | {gs} | {r['status']} {r.get('error', '')[:160]} |")
    anchor = {r["case"]: r for r in results["cases"] if r.get("mode") == "miniflare" and r.get("rps")}
    if anchor:
        L.append("")
        L.append("**era-emu against Miniflare 4 serving the ERA proxy, same run** (target: ≥ 10×, "
                 "or ≥ 90 % of the nginx ceiling where that is lower)")
        L.append("")
        L.append("| case | mode | era-emu req/s | Miniflare req/s | ratio | of ceiling | target |")
        L.append("|---|---|---|---|---|---|---|")
        for r in results["cases"]:
            m = anchor.get(r["case"])
            if not m or r.get("mode") in ("miniflare", "ceiling") or not r.get("rps"):
                continue
            ratio = r["rps"]["median"] / m["rps"]["median"] if m["rps"]["median"] else None
            frac = r.get("ceiling_frac")
            ok = (ratio is not None and ratio >= 10) or (frac is not None and frac >= 0.9)
            r["vs_miniflare"] = ratio
            L.append(f"| {r['case']} | {r['mode']} | {fmt(r['rps']['median'])} | {fmt(m['rps']['median'])} | "
                     f"{fmt(ratio, 1)}× | {fmt(100 * frac, 0, '%') if frac else '—'} | {'PASS' if ok else 'MISS'} |")
    s3rows = [r for r in results["cases"] if r["group"] == "s3"]
    if s3rows:
        L.append("")
        L.append("**S3 endpoint through boto3, beside the binary route (sequential, MB/s = 10⁶ B/s)**")
        L.append("")
        L.append("| mode | case | PUT MB/s (ops/s) | GET MB/s (ops/s) | status |")
        L.append("|---|---|---|---|---|")
        for r in s3rows:
            cells = []
            for k in ("put", "get"):
                v = r.get(f"{k}_mb_per_s")
                cells.append(f"{fmt(v['median'])} ({fmt(r[f'{k}_ops_per_s'], 1)})" if v else "—")
            L.append(f"| {r['mode']} | {r['case']} | {cells[0]} | {cells[1]} | {r['status']} {r.get('error', '')[:160]} |")
    if results["failures"]:
        L.append("")
        L.append("**Failures**")
        L.append("")
        for f in results["failures"]:
            L.append(f"- {f}")
    L.append("")
    return "\n".join(L)


# ---------------------------------------------------------------------------- main


def ensure_tools():
    missing = [pkg for tool, pkg in (("wrk", "wrk"), ("nginx", "nginx-light")) if shutil.which(tool) is None]
    if not missing:
        return
    log(f"installing {' '.join(missing)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL)
    run(["apt-get", "install", "-y", *missing], env=env, stdout=subprocess.DEVNULL)
    # The nginx package may start a system nginx on :80; we never use it, and leave it alone.


def build():
    dev = os.path.join(ROOT, "scripts", "dev")
    if os.access(dev, os.X_OK):
        log("building with scripts/dev build")
        run([dev, "build"], cwd=ROOT)
    else:
        log("scripts/dev not found: cmake Release fallback into build/")
        run(["cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Release"], cwd=ROOT)
        run(["cmake", "--build", "build", "-j2"], cwd=ROOT)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="CI smoke: 1 s runs, no warm-up, 1 run each, a few cases, memory mode only")
    ap.add_argument("--against", choices=["miniflare"], default=None,
                    help="also run the ERA-route cases against Miniflare 4 serving the ERA proxy "
                         "(bench/miniflare/era-proxy.mjs, persisted like --data; npm miniflare is installed into "
                         "bench/miniflare/node_modules when missing, or taken from $MINIFLARE_DIR) and report "
                         "era-emu's ratio to it from the same run")
    ap.add_argument("--url", help="benchmark an already-running ERA API server instead of starting era-emu "
                                  "(start-up and RSS are then n/a)")
    build_dir = os.path.join(ROOT, os.environ.get("ERA_BUILD_DIR") or "build")  # as scripts/dev does
    ap.add_argument("--bin", default=os.path.join(build_dir, "era-emu"),
                    help="era-emu binary (default $ERA_BUILD_DIR/era-emu, i.e. build/era-emu)")
    ap.add_argument("--no-build", action="store_true", help="do not run the Release build first")
    ap.add_argument("--build", action="store_true", help="build even in --smoke mode")
    ap.add_argument("--modes", default=None, help="comma list of memory,disk (default both; smoke: memory)")
    ap.add_argument("--cases", default=None,
                    help="comma list of glob patterns over case names (e.g. 'kv_*,nginx_*'); "
                         "startup/reset/helpers/memory/big always run unless --skip names them")
    ap.add_argument("--skip", default="", help="comma list of: startup,reset,helpers,big,s3,ceiling,inspector,noisy")
    ap.add_argument("--runs", type=int, default=None, help="measured wrk runs per case (default 3)")
    ap.add_argument("--duration", type=float, default=None, help="seconds per measured wrk run (default 10)")
    ap.add_argument("--warmup", type=float, default=None, help="warm-up seconds before each run (default 2)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--startup-runs", type=int, default=None, help="default 20 (smoke 3)")
    ap.add_argument("--resets", type=int, default=None, help="resets to time (default 1000, smoke 20)")
    ap.add_argument("--helper-resets", type=int, default=None,
                    help="per-test resets to time through each test helper: pytest, jest, C++ testkit "
                         "(default 200, smoke 10)")
    ap.add_argument("--testkit-bench", default=None,
                    help="the C++ testkit reset driver (default: era_testkit_reset_bench next to --bin)")
    ap.add_argument("--restores", type=int, default=None, help="snapshot restores to time (default 200, smoke 5)")
    ap.add_argument("--big-n", type=int, default=None, help="64 MiB transfers each way (default 10, smoke 1)")
    ap.add_argument("--big-mib", type=int, default=None, help="size of the big transfer (default 64, smoke 8)")
    ap.add_argument("--out", default=None, help="output directory (default bench/results; smoke: a temp dir)")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before starting, wait up to SECONDS for the 1-min load average to drop below nproc/2")
    ap.add_argument("--update-docs", action="store_true",
                    help="replace the latest-results block in docs/performance.md with this run's table")
    a = ap.parse_args(argv)
    s = a.smoke
    a.runs = a.runs or (1 if s else 3)
    a.duration = a.duration if a.duration is not None else (1 if s else 10)
    a.warmup = a.warmup if a.warmup is not None else (0 if s else 2)
    a.startup_runs = a.startup_runs if a.startup_runs is not None else (3 if s else 20)
    a.resets = a.resets if a.resets is not None else (20 if s else 1000)
    a.testkit_bench = a.testkit_bench or os.path.join(os.path.dirname(os.path.abspath(a.bin)),
                                                      "era_testkit_reset_bench")
    a.helper_resets = a.helper_resets if a.helper_resets is not None else (10 if s else 200)
    a.restores = a.restores if a.restores is not None else (5 if s else 200)
    a.big_n = a.big_n if a.big_n is not None else (1 if s else 10)
    a.big_mib = a.big_mib if a.big_mib is not None else (8 if s else 64)
    a.modes = (a.modes or ("memory" if s else "memory,disk")).split(",")
    if a.url:
        a.modes = ["url"]
    a.skip = set(x for x in a.skip.split(",") if x)
    if s:
        a.skip |= SMOKE_SKIP
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.time()
    ensure_tools()
    if not a.url and not a.no_build and (not a.smoke or a.build):
        build()
    if not a.url and not os.access(a.bin, os.X_OK):
        log(f"no era-emu binary at {a.bin} (build it, or pass --bin / --url)")
        return 2

    b = Bench(a)
    bin_info = None
    if not a.url:
        # Run every measurement on one private copy: build/era-emu may be rebuilt mid-run.
        private = os.path.join(b.work, "era-emu")
        shutil.copy2(a.bin, private)
        bin_info = {"path": os.path.abspath(a.bin), "sha256": _sha256_file(private)[:16],
                    "mtime": dt.datetime.fromtimestamp(os.path.getmtime(a.bin), dt.timezone.utc)
                    .strftime("%Y-%m-%dT%H:%M:%SZ"), "size": os.path.getsize(private)}
        a.bin = private
    patterns = [p for p in (a.cases or "").split(",") if p]

    def wanted(case):
        if patterns:
            return any(fnmatch.fnmatch(case.name, p) for p in patterns)
        return case.smoke if a.smoke else True

    now = dt.datetime.now(dt.timezone.utc)
    results = {
        "schema": 1,
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_sha": git_sha(),
        "smoke": a.smoke,
        "target_desc": a.url or (os.path.relpath(bin_info["path"], ROOT)
                                 if bin_info["path"].startswith(ROOT + os.sep) else bin_info["path"]),
        "binary": bin_info,
        "loadavg_start": _loadavg(),
        "machine": machine_info(),
        "settings": {"threads": a.threads, "duration_s": a.duration, "warmup_s": a.warmup, "runs": a.runs,
                     "startup_runs": a.startup_runs, "resets": a.resets, "restores": a.restores,
                     "big_n": a.big_n, "big_mib": a.big_mib, "modes": a.modes},
        "cases": [],
        "memory": [],
        "failures": b.failures,
    }
    if a.wait_quiet:
        deadline = time.time() + a.wait_quiet
        while time.time() < deadline and _load1() > (os.cpu_count() or 1) * 0.5:
            log(f"waiting for a quiet machine (load {_loadavg()})")
            time.sleep(15)
    busy = _load1() > (os.cpu_count() or 1)
    results["busy_at_start"] = busy
    if busy:
        log(f"WARNING: load average {_loadavg()} exceeds the {os.cpu_count()} CPUs: other work competes "
            f"with the benchmark and ceiling ratios are not meaningful")
    log(f"era-emu bench: {results['git_sha']} on {results['machine']['nproc']} × "
        f"{results['machine']['cpu_model']} (work dir {b.work})")
    interrupted = False
    try:
        # ---- 1. ceiling
        if "ceiling" not in a.skip:
            ng = Nginx(b.work)
            big_src = b.payload(f"{a.big_mib}m.bin", a.big_mib * MiB)
            ng.add_file("1m.bin", b.payload("1m.bin", MiB))
            ng.add_file("big.bin", big_src)
            try:
                ng.start()
                b.nginx = ng
                log(f"nginx ceiling on {ng.url}")
                for c in b.ceiling_cases():
                    b.ceiling_by_name[c.name] = c
                    if wanted(c):
                        results["cases"].append(b.run_case(c, ng.url, "ceiling"))
                if "big" not in a.skip:
                    r = b.big_transfers(ng.url, "/sink", "/static/big.bin", a.big_n, a.big_mib * MiB,
                                        f"nginx_{a.big_mib}mib_sink_static", "ceiling")
                    r["desc"] = f"nginx ceiling: {a.big_n} sequential {a.big_mib} MiB PUT (discarded) / GET (static file)"
                    results["cases"].append(r)
                    tcp = {"case": f"loopback_tcp_{a.big_mib}mib", "group": "ceiling", "mode": "ceiling",
                           "status": "ok", "runs_n": a.big_n,
                           "desc": "sendfile into a bare TCP socket drained by a Python thread (no HTTP): PUT ceiling"}
                    try:
                        secs = loopback_tcp_put(big_src, a.big_mib * MiB, a.big_n)
                        mbs = [a.big_mib * MiB / 1e6 / x for x in secs]
                        tcp["put_mb_per_s"] = {"median": median(mbs), **spread(mbs)}
                        log(f"  ceiling {tcp['case']:24} PUT {tcp['put_mb_per_s']['median']:.0f} MB/s")
                    except (BenchError, OSError) as e:
                        tcp["status"], tcp["error"] = "fail", str(e)
                        b.failures.append(f"ceiling/{tcp['case']}: {e}")
                    results["cases"].append(tcp)
            except BenchError as e:
                b.failures.append(f"ceiling/nginx: {e}")
                log(f"nginx FAILED: {e}")
                ng.stop()
                b.nginx = None

        # ---- 2. the emulator, per mode
        for mode in a.modes:
            log(f"== mode {mode}")
            if mode != "url" and "startup" not in a.skip:
                results["cases"].append(b.startup(mode, a.startup_runs))
            srv = None
            if mode == "url":
                url = a.url.rstrip("/")
            else:
                srv = EmuServer(a.bin, mode, b.work, os.path.join(b.work, f"server-{mode}.log"))
                try:
                    srv.start()
                    srv.wait_health()
                except BenchError as e:
                    b.failures.append(f"{mode}/server start: {e}")
                    log(f"  {mode}: server start FAILED: {e}")
                    srv.kill()
                    continue
                url = srv.url
                b.server_pid = srv.pid
                time.sleep(0.5)
                st = proc_status(srv.pid)
                mem = {"mode": mode, "idle_rss_kib": st["VmRSS"], "idle_rss_anon_kib": st.get("RssAnon"),
                       "idle_rss_file_kib": st.get("RssFile")}
                results["memory"].append(mem)
                split = rss_split(st.get("RssAnon"), st.get("RssFile"))
                log(f"  {mode:6} idle RSS {mem['idle_rss_kib'] / 1024:.1f} MiB"
                    f"{' = ' + split if split else ''} (pid {srv.pid}, {url})")
            try:
                if "reset" not in a.skip:
                    results["cases"].extend(b.reset_bench(url, mode, a.resets, a.restores))
                if "helpers" not in a.skip:
                    results["cases"].extend(b.helper_reset_bench(url, mode, a.helper_resets))
                for c in b.emu_cases():
                    if wanted(c):
                        results["cases"].append(b.run_case(c, url, mode))
                if "s3" not in a.skip:
                    results["cases"].extend(b.s3_transfers(url, mode, 5 if a.smoke else 40,
                                                           a.big_n, a.big_mib))
                if mode == "disk" and "noisy" not in a.skip and not a.smoke:
                    # Small requests while another writer fills the same disk: p99 is the number
                    # that matters (target 10 ms, zero errors). nginx answering a fixed 100 bytes
                    # under the same noise is the machine's own p99 there: the writer's copying
                    # and the kernel's writeback take CPU from every process, not only era-emu.
                    noisy_ceiling = None
                    ceil = b.ceiling_by_name.get("nginx_fixed_c16")
                    if b.nginx and ceil:
                        noise = NoisyDisk(b.work).start()
                        try:
                            noisy_ceiling = b.run_case(ceil, b.nginx.url, "ceiling")
                        finally:
                            noise.stop()
                        noisy_ceiling["case"] = "nginx_fixed_c16_noisy_disk"
                        noisy_ceiling["desc"] = ceil.desc + ", while another writer puts 1 GiB (+ fsync) on the data dir's disk"
                        noisy_ceiling["noise_mb"] = noise.written / 1e6
                        results["cases"].append(noisy_ceiling)
                    for c in b.emu_cases():
                        if c.name in ("kv_get_c16", "kv_put_random", "d1_select_point", "d1_insert_exec") and wanted(c):
                            noise = NoisyDisk(b.work).start()
                            try:
                                r = b.run_case(c, url, mode)
                            finally:
                                noise.stop()
                            r["case"] = f"{c.name}_noisy_disk"
                            r["desc"] = c.desc + ", while another writer puts 1 GiB (+ fsync) on the same disk, repeatedly"
                            r["target"] = ("p99_ms_max", 10)
                            r["noise_mb"] = noise.written / 1e6
                            if noisy_ceiling and noisy_ceiling.get("p99_ms_max") is not None:
                                r["nginx_noisy_p99_ms"] = noisy_ceiling["p99_ms_max"]
                            results["cases"].append(r)
                if "inspector" not in a.skip:
                    results["cases"].append(inspector_page_load(url, 5 if a.smoke else 50, mode))
                    # KV GET with the inspector's Events view open, against the same case without.
                    kv = next((c for c in b.emu_cases() if c.name == "kv_get_c64"), None)
                    if kv:
                        base = b.run_case(kv, url, mode)
                        watcher = InspectorOpen(url).start()
                        try:
                            opened = b.run_case(kv, url, mode)
                        finally:
                            watcher.stop()
                        opened["case"] = "kv_get_c64_inspector_open"
                        opened["desc"] = "KV GET, 64 connections, with the inspector's Events view open (long-poll, stats, clock)"
                        if base.get("rps") and opened.get("rps"):
                            opened["vs_closed"] = round(opened["rps"]["median"] / base["rps"]["median"], 3)
                            log(f"  inspector open: KV GET at {100 * opened['vs_closed']:.0f}% of the closed run "
                                f"({watcher.calls} inspector calls)")
                        opened["target"] = None
                        results["cases"].extend([base | {"case": "kv_get_c64_inspector_closed", "target": None}, opened])
                if "big" not in a.skip:
                    key = f"/api/r2/{b.run_tag}raw/big-{a.big_mib}mib"
                    results["cases"].append(b.big_transfers(url, key, key, a.big_n, a.big_mib * MiB,
                                                            f"r2raw_{a.big_mib}mib", mode))
            finally:
                b.server_pid = None
                if srv:
                    if srv.proc and srv.proc.poll() is None:
                        st = proc_status(srv.pid)
                        mem["peak_rss_kib"] = st["VmHWM"]
                        mem["rss_after_load_kib"] = st["VmRSS"]
                        log(f"  {mode:6} peak RSS (VmHWM) {st['VmHWM'] / 1024:.1f} MiB, "
                            f"RSS now {st['VmRSS'] / 1024:.1f} MiB")
                    try:
                        took = srv.stop()
                        if took is None:
                            b.failures.append(f"{mode}/shutdown: no exit within 10 s of SIGTERM (killed)")
                    except BenchError as e:
                        b.failures.append(f"{mode}/server: {e}")
        # ---- 3. the Miniflare anchor: the same ERA-route cases, same run
        if a.against == "miniflare":
            log("== anchor: Miniflare 4 serving the ERA proxy")
            mf = MiniflareServer(b.work)
            try:
                url = mf.start()
                b.server_pid = mf.pid
                log(f"  miniflare on {url}")
                for c in b.emu_cases():
                    if wanted(c) and anchor_case(c):
                        r = b.run_case(c, url, "miniflare")
                        r["target"] = None
                        results["cases"].append(r)
            except (BenchError, subprocess.CalledProcessError, OSError) as e:
                b.failures.append(f"miniflare: {e}")
                log(f"  miniflare FAILED: {e}")
            finally:
                b.server_pid = None
                mf.stop()
    except KeyboardInterrupt:
        interrupted = True
        b.failures.append("interrupted")
    finally:
        if b.nginx:
            b.nginx.stop()
        shutil.rmtree(b.work, ignore_errors=True)

    results["elapsed_s"] = round(time.time() - started, 1)
    results["loadavg_end"] = _loadavg()
    results["targets"] = evaluate_targets(results)
    md = markdown(results)

    out_dir = a.out or (tempfile.mkdtemp(prefix="era-bench-smoke-") if a.smoke else os.path.join(BENCH_DIR, "results"))
    os.makedirs(out_dir, exist_ok=True)
    stem = f"{now.strftime('%Y-%m-%d')}-{results['git_sha']}" + ("-smoke" if a.smoke else "")
    jpath, mpath = os.path.join(out_dir, stem + ".json"), os.path.join(out_dir, stem + ".md")
    with open(jpath, "w") as f:
        json.dump(results, f, indent=1, sort_keys=False, default=str)
        f.write("\n")
    with open(mpath, "w") as f:
        f.write(md)
    if a.update_docs and not a.smoke:
        update_docs(md)
    print(md)
    log(f"wrote {jpath} and {mpath} in {results['elapsed_s']} s")
    if b.failures or interrupted:
        log(f"{len(b.failures)} FAILURE(S):")
        for f in b.failures:
            log(f"  - {f}")
        return 1
    missed = [t for t in results["targets"] if not t["ok"]]
    if missed:
        log("targets missed (reported, not an error): " + ", ".join(f"{t['mode']}/{t['case']}" for t in missed))
    return 0


def update_docs(md: str):
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        doc = f.read()
    begin, end = "<!-- bench:latest:begin -->", "<!-- bench:latest:end -->"
    if begin not in doc or end not in doc:
        log("docs/performance.md has no bench:latest markers; not updated")
        return
    pre, rest = doc.split(begin, 1)
    _, post = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(pre + begin + "\n" + md + "\n" + end + post)
    log("updated docs/performance.md")


if __name__ == "__main__":
    sys.exit(main())
