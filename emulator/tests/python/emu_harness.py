"""Black-box tests against a real era-emu process (standard library only, plus pytest)."""
import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = os.environ.get("ERA_EMU_BIN", str(ROOT / "build" / "era-emu"))


class Emu:
    """One era-emu child process on 127.0.0.1, port 0."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [BIN, "up", "--port", "0", "--log-level", "warn", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("ERA_STORAGE_URL="):
            self.proc.kill()
            raise RuntimeError(f"era-emu did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.split("=", 1)[1]

    def request(self, method: str, path: str, body=None, headers=None, raw: bytes = None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if body is not None and raw is None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, method: str, path: str, body=None, **kw):
        status, data, _ = self.request(method, path, body, **kw)
        return status, json.loads(data)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode

