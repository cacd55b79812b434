"""Fixtures for the Python SDK tests.

* ``era_emu`` (session): starts ``$ERA_EMU_BIN`` (default ``<repo>/build/era-emu``) as
  ``up --memory --port 0`` on 127.0.0.1, waits for its ``ERA_STORAGE_URL=...`` line, exports
  ``ERA_STORAGE_URL`` so the module-level ``era_storage.kv/d1/r2`` talk to it, and stops it
  with SIGTERM at the end.  Integration tests depend on it; unit tests do not.
* ``ns``: a fresh namespace name per test, so tests never see each other's data.
* ``stub``: an in-process HTTP server on 127.0.0.1:0 that records raw requests and answers
  with scripted responses, for encoding / error-mapping unit tests.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

SDK_DIR = Path(__file__).resolve().parents[1]
REPO = SDK_DIR.parents[1]
sys.path.insert(0, str(SDK_DIR))

import era_storage  # noqa: E402

START_TIMEOUT_S = 30.0


@dataclass
class Emulator:
    url: str
    proc: subprocess.Popen
    log_path: Path

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the control API (``/_emu/...``) and return its JSON."""
        client = era_storage.Client(self.url, token="", retries=0)
        return client.json_call(method, path, svc="EMU", op=path, json_body=body)

    def advance(self, ms: int) -> None:
        """Move the emulator's virtual clock forward (never sleep for TTLs)."""
        self.control("POST", "/_emu/time", {"advance_ms": ms})

    def fault(self, **rule: Any) -> str:
        """Add a fault rule (``/_emu/faults``); returns its id."""
        return str(self.control("POST", "/_emu/faults", rule)["id"])

    def fault_state(self, fault_id: str) -> Dict[str, Any]:
        """A rule with its bookkeeping (``matched``, ``fired``, ``remaining``)."""
        return dict(self.control("GET", f"/_emu/faults/{fault_id}"))

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def closed_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def emulator_binary() -> Path:
    return Path(os.environ.get("ERA_EMU_BIN") or REPO / "build" / "era-emu")


def start_emulator(tmp_dir: Path, extra_args: Optional[List[str]] = None,
                   env: Optional[Dict[str, Optional[str]]] = None) -> Emulator:
    """Start one era-emu on 127.0.0.1:0 and wait (bounded) for its URL line.

    ``env`` entries are added to the child's environment; a ``None`` value removes one."""
    binary = emulator_binary()
    if not binary.exists():
        pytest.fail(f"era-emu binary not found at {binary}: build it (scripts/dev build) "
                    f"or set ERA_EMU_BIN", pytrace=False)
    log_path = tmp_dir / f"era-emu-{uuid.uuid4().hex[:6]}.log"
    log = open(log_path, "wb")
    cmd = [str(binary), "up", "--memory", "--port", "0", *(extra_args or [])]
    child_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                            env=child_env)
    log.close()
    line: List[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    text = line[0].decode().strip() if line else ""
    if not text.startswith("ERA_STORAGE_URL="):
        proc.kill()
        proc.wait(5)
        pytest.fail(f"era-emu did not print ERA_STORAGE_URL=... within {START_TIMEOUT_S}s "
                    f"(got {text!r}); cmd={cmd}; log:\n{log_path.read_text(errors='replace')[-4000:]}",
                    pytrace=False)
    # Keep draining stdout so the emulator can never block on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return Emulator(url=text.split("=", 1)[1], proc=proc, log_path=log_path)


def stop_emulator(emu: Emulator) -> None:
    if emu.proc.poll() is None:
        emu.proc.send_signal(signal.SIGTERM)
        try:
            emu.proc.wait(10)
        except subprocess.TimeoutExpired:
            emu.proc.kill()
            emu.proc.wait(5)


@pytest.fixture(scope="session")
def era_emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = start_emulator(tmp_path_factory.mktemp("era-emu"), env={"ERA_EMU_TOKEN": None})
    saved = {k: os.environ.get(k) for k in ("ERA_STORAGE_URL", "ERA_EMU_TOKEN", "ERA_LOCATION")}
    os.environ["ERA_STORAGE_URL"] = emu.url
    os.environ.pop("ERA_EMU_TOKEN", None)
    os.environ.pop("ERA_LOCATION", None)
    try:
        yield emu
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        stop_emulator(emu)


@pytest.fixture
def ns(request: pytest.FixtureRequest) -> str:
    """A namespace unique to this test ([A-Za-z0-9_-], < 64 chars)."""
    return f"t{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------------------
# Stub server for unit tests
# --------------------------------------------------------------------------------------

Reply = Tuple[int, Dict[str, str], bytes]


@dataclass
class Recorded:
    method: str
    path: str  # raw request target, exactly as sent on the wire
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stub:
    url: str
    requests: List[Recorded] = field(default_factory=list)
    replies: List[Any] = field(default_factory=list)
    default: Reply = (200, {"Content-Type": "application/json"}, b'{"success": true}')

    def reply(self, status: int, body: Any = None, headers: Optional[Dict[str, str]] = None) -> None:
        """Queue one response (a dict/list body is sent as JSON, bytes/str as-is)."""
        if isinstance(body, (dict, list)):
            raw = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body or b""
        self.replies.append((status, headers or {}, raw))

    def reply_with(self, fn: Callable[[Recorded], Reply]) -> None:
        self.replies.append(fn)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                body = b"".join(chunks)
            else:
                body = self.rfile.read(length) if length else b""
            rec = Recorded(self.command, self.path, dict(self.headers.items()), body)
            state.requests.append(rec)
            reply = state.replies.pop(0) if state.replies else state.default
            if callable(reply):
                reply = reply(rec)
            status, headers, raw = reply
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stub_client(stub: Stub) -> era_storage.Client:
    """A client pointed at the stub, with fast retries."""
    return era_storage.Client(stub.url, token="", location="", backoff=0.01)


def pytest_configure(config) -> None:
    # Also declared in sdk/python/pyproject.toml; registered here so runs from the repo root
    # (whose pyproject.toml is the era-emu wheel's) know it too.
    config.addinivalue_line("markers", "slow: streams hundreds of MiB (deselect with -m 'not slow')")
