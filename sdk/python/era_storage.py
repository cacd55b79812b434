"""ERA Storage SDK for Python.

Drop-in replacement for the ``era_storage.py`` module injected into ERA sandboxes: the
module-level ``kv``, ``d1`` and ``r2`` objects keep the original signatures and return
shapes, and the same code runs unchanged against a real ERA storage proxy or against
era-emu.  On top of that it adds KV TTL/metadata reads, cursor pagination, D1 batches,
streaming R2 uploads/downloads through the binary route, range and conditional requests,
typed errors, bearer auth, timeouts and bounded retries for safe requests.

One file, standard library only, so it can still be copied into a sandbox as-is.

Environment variables (read on every request by the default client):

``ERA_STORAGE_URL``      base URL, default ``http://127.0.0.1:8787`` (``era-emu up``)
``ERA_EMU_TOKEN``        bearer token sent as ``Authorization: Bearer <token>``
``ERA_LOCATION``         sent as the ``X-Era-Location`` header (KV propagation model)
``ERA_STORAGE_TIMEOUT``  socket timeout in seconds (default 30)

Quick start::

    import era_storage
    era_storage.kv.set("app", "user:1", '{"name": "Ada"}', ttl=3600)
    era_storage.kv.get("app", "user:1")
    era_storage.d1.exec("app", "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    era_storage.d1.query("app", "SELECT * FROM t WHERE v = ?", ["x"])
    era_storage.r2.put_file("files", "videos/big.mp4", "/tmp/big.mp4")   # streamed
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import mimetypes
import os
import random
import socket
import tempfile
import time
import types
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import (
    IO,
    Any,
    BinaryIO,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)
from urllib.parse import quote, urlencode, urlsplit

__version__ = "0.1.0"

__all__ = [
    "Client",
    "KVStorage",
    "D1Storage",
    "R2Storage",
    "ResourceRegistry",
    "R2Object",
    "R2Reader",
    "StorageError",
    "EraStorageError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimitedError",
    "RangeNotSatisfiableError",
    "StorageConnectionError",
    "configure",
    "default_client",
    "encode_key",
    "kv",
    "d1",
    "r2",
    "resources",
    "sign_url",
]

DEFAULT_URL = "http://127.0.0.1:8787"  # where `era-emu up` listens by default
DEFAULT_TIMEOUT = 30.0
#: Chunk size used when streaming R2 bodies to or from disk.
CHUNK_SIZE = 1 << 20
#: Upper bound on how long one retry waits, whatever Retry-After says.
MAX_RETRY_WAIT = 10.0
#: Upper bound on pages fetched by the ``list_all`` helpers (1,000 keys a page).
MAX_PAGES = 1_000_000

JSON = Any
Body = Union[bytes, bytearray, memoryview, str, BinaryIO, IO[bytes]]
DateLike = Union[datetime, str, int, float]
RangeLike = Union[str, Mapping[str, int], Tuple[int, Optional[int]]]

# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class StorageError(Exception):
    """Any failed storage call.

    ``str(err)`` keeps the original SDK's wording, ``"<SVC> <op> failed: <error>"``
    (for example ``"KV set failed: Key required"``), so code written against the original
    SDK with ``except Exception`` behaves the same.

    Attributes:
        status: HTTP status, or ``None`` when no response arrived (connection failures).
        code: machine-readable code from the server (``"KV_KEY_TOO_LONG"``...) or ``None``.
        details: the server's ``details`` field (e.g. the ``D1_ERROR: ...`` text), if any.
        error: the server's ``error`` field (the legacy human message), if any.
        body: the parsed JSON error body (dict), or the raw text when it was not JSON.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        details: Any = None,
        error: Optional[str] = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details
        self.error = error
        self.body = body

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self)!r}, status={self.status!r}, "
            f"code={self.code!r})"
        )


#: The name STYLE.md uses; the same class.
EraStorageError = StorageError


class NotFoundError(StorageError):
    """404: the key, object, namespace or route does not exist.

    Legacy calls (``kv.get``, ``r2.get``) and ``head``/``get_object`` return ``None``
    instead of raising this.
    """


class PreconditionFailedError(StorageError):
    """412: an ``If-Match`` / ``If-None-Match`` / ``If-*-Since`` condition failed."""


class RateLimitedError(StorageError):
    """429: too many requests. ``retry_after`` holds the server's Retry-After in seconds."""

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RangeNotSatisfiableError(StorageError):
    """416: the requested byte range lies outside the object."""


class StorageConnectionError(StorageError):
    """No HTTP response: connection refused or reset, DNS failure, or timeout.

    ``code`` is ``"CONNECTION_FAILED"`` or ``"TIMEOUT"``; ``status`` is ``None``.
    """


_ERRORS_BY_STATUS: Dict[int, type] = {
    404: NotFoundError,
    412: PreconditionFailedError,
    416: RangeNotSatisfiableError,
    429: RateLimitedError,
}

# --------------------------------------------------------------------------------------
# Encoding helpers
# --------------------------------------------------------------------------------------


def encode_key(key: str) -> str:
    """Percent-encode an object/KV key for use in a URL path.

    Every byte of the UTF-8 form that is not unreserved (``A-Z a-z 0-9 - . _ ~``) is
    encoded, except ``/`` which is kept so keys read as paths.  A key with a ``.`` or
    ``..`` segment (``a/../b``) has *all* its slashes sent as ``%2F`` instead, so no
    client, proxy or server can resolve it as a relative path step; the server decodes
    the key back to the literal ``a/../b``.  A key that is exactly ``.`` or ``..`` is
    sent as ``%2E`` / ``%2E%2E``.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be str, not {type(key).__name__}")
    segments = key.split("/")
    if not any(seg in (".", "..") for seg in segments):
        return "/".join(quote(seg, safe="") for seg in segments)
    if len(segments) == 1:
        return "%2E" * len(key)
    return quote(key, safe="")


def _encode_segment(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"namespace must be str, not {type(name).__name__}")
    return quote(name, safe="")


def _query(params: Mapping[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if v is not None}
    for k, v in clean.items():
        if isinstance(v, bool):
            clean[k] = "true" if v else "false"
    return "?" + urlencode(clean, quote_via=quote) if clean else ""


def _http_date(value: DateLike) -> str:
    """Format a datetime / epoch seconds as an HTTP-date; strings pass through."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return email.utils.format_datetime(value.astimezone(timezone.utc), usegmt=True)


def _quote_etag(etag: str) -> str:
    etag = etag.strip()
    if etag == "*" or etag.startswith('"') or etag.startswith("W/"):
        return etag
    return f'"{etag}"'


def _range_header(rng: RangeLike) -> str:
    """Turn an R2-style range into a ``Range`` header value.

    Accepts ``"bytes=0-99"``, ``{"offset": 0, "length": 100}``, ``{"offset": 10}``,
    ``{"suffix": 100}`` or a tuple ``(offset, length_or_None)``.
    """
    if isinstance(rng, str):
        return rng if rng.startswith("bytes=") else f"bytes={rng}"
    if isinstance(rng, tuple):
        rng = {"offset": rng[0], **({"length": rng[1]} if rng[1] is not None else {})}
    if "suffix" in rng:
        if "offset" in rng or "length" in rng:
            raise TypeError("Suffix is incompatible with offset.")
        return f"bytes=-{int(rng['suffix'])}"
    offset = int(rng.get("offset", 0))
    if offset < 0:
        raise ValueError("range offset must be >= 0")
    if "length" in rng:
        length = int(rng["length"])
        if length <= 0:
            raise ValueError("range length must be > 0")
        return f"bytes={offset}-{offset + length - 1}"
    return f"bytes={offset}-"


def _parse_time(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _header_text(value: str) -> str:
    """Recover UTF-8 header values that http.client decoded as latin-1."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


# --------------------------------------------------------------------------------------
# R2 object model
# --------------------------------------------------------------------------------------

_HTTP_METADATA_HEADERS = {
    "content-type": "contentType",
    "content-language": "contentLanguage",
    "content-disposition": "contentDisposition",
    "content-encoding": "contentEncoding",
    "cache-control": "cacheControl",
    "expires": "cacheExpiry",
}
_META_PREFIX = "x-era-meta-"


@dataclass
class R2Object:
    """Metadata of an R2 object, plus its bytes when fetched with ``get_object``.

    ``etag`` is unquoted, ``http_etag`` quoted (as R2's binding does).  ``status`` is the
    HTTP status of the read: 200, 206 for a range, or 304 when an ``If-None-Match`` /
    ``If-Modified-Since`` condition said "not modified" (then ``body`` is ``None``).
    ``range`` is ``(first_byte, last_byte)`` for a 206 response.
    """

    key: str
    size: int = 0
    etag: Optional[str] = None
    http_etag: Optional[str] = None
    uploaded: Optional[datetime] = None
    version: Optional[str] = None
    http_metadata: Dict[str, str] = field(default_factory=dict)
    custom_metadata: Dict[str, str] = field(default_factory=dict)
    range: Optional[Tuple[int, int]] = None
    status: int = 200
    body: Optional[bytes] = None

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304 Not Modified."""
        return self.status == 304

    @property
    def content_type(self) -> Optional[str]:
        return self.http_metadata.get("contentType")

    def text(self, encoding: str = "utf-8") -> str:
        """The body decoded as text (raises ``ValueError`` when there is no body)."""
        if self.body is None:
            raise ValueError("object has no body")
        return self.body.decode(encoding)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text())

    @classmethod
    def _from_headers(cls, key: str, status: int, headers: http.client.HTTPMessage) -> "R2Object":
        etag = headers.get("ETag")
        size = int(headers.get("Content-Length") or 0)
        rng: Optional[Tuple[int, int]] = None
        content_range = headers.get("Content-Range")
        if content_range and content_range.startswith("bytes ") and "/" in content_range:
            span, _, total = content_range[6:].partition("/")
            if "-" in span:
                first, _, last = span.partition("-")
                rng = (int(first), int(last))
            if total.strip().isdigit():
                size = int(total)
        http_md: Dict[str, str] = {}
        custom: Dict[str, str] = {}
        for name, value in headers.items():
            low = name.lower()
            if low in _HTTP_METADATA_HEADERS:
                http_md[_HTTP_METADATA_HEADERS[low]] = value
            elif low.startswith(_META_PREFIX):
                custom[low[len(_META_PREFIX):]] = _header_text(value)
        return cls(
            key=key,
            size=size,
            etag=etag.strip('"') if etag else None,
            http_etag=etag,
            uploaded=_parse_time(headers.get("Last-Modified")),
            version=headers.get("X-Era-Version"),
            http_metadata=http_md,
            custom_metadata=custom,
            range=rng,
            status=status,
        )

    @classmethod
    def _from_json(cls, key: str, data: Mapping[str, Any]) -> "R2Object":
        etag = data.get("etag")
        http_etag = data.get("httpEtag") or (f'"{etag}"' if etag else None)
        return cls(
            key=data.get("key", key),
            size=int(data.get("size") or 0),
            etag=etag,
            http_etag=http_etag,
            uploaded=_parse_time(data.get("uploaded")),
            version=data.get("version"),
            http_metadata=dict(data.get("httpMetadata") or {}),
            custom_metadata=dict(data.get("customMetadata") or {}),
        )


class R2Reader:
    """A streaming R2 body: a read-only binary file object plus the object's metadata.

    Use as a context manager; reading never loads more than the requested chunk::

        with era_storage.r2.open("files", "big.bin") as reader:
            for chunk in reader.iter_chunks():
                sink.write(chunk)
    """

    def __init__(self, obj: R2Object, response: http.client.HTTPResponse,
                 conn: http.client.HTTPConnection) -> None:
        self.object = obj
        self._response = response
        self._conn = conn

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes when ``size`` < 0).

        A body cut short by the server or the network raises ``StorageError`` (code
        ``"TRUNCATED"``) instead of looking like a normal end of file."""
        try:
            data = self._response.read(None if size is None or size < 0 else size)
        except http.client.IncompleteRead as e:
            raise self._truncated(len(e.partial)) from None
        if not data and size != 0:
            self._check_complete()
        return data

    def readinto(self, buf: bytearray) -> int:
        n = self._response.readinto(buf)
        if n == 0 and len(buf):
            self._check_complete()
        return n

    def iter_chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the body in chunks of at most ``chunk_size`` bytes."""
        while True:
            chunk = self.read(chunk_size)
            if not chunk:
                return
            yield chunk

    def _check_complete(self) -> None:
        missing = self._response.length
        if missing:  # Content-Length promised more than arrived
            raise self._truncated(0)

    def _truncated(self, extra: int) -> StorageError:
        missing = (self._response.length or 0) - extra
        return StorageError(
            f"R2 get failed: the connection closed with {missing} byte(s) of "
            f"{self.object.key!r} still to come",
            code="TRUNCATED",
            error="response body truncated",
        )

    __iter__ = iter_chunks

    def close(self) -> None:
        self._response.close()
        self._conn.close()

    def __enter__(self) -> "R2Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------


class Client:
    """Connection settings shared by the ``kv``, ``d1``, ``r2`` and ``resources`` APIs.

    Every setting left at its default is read from the environment **on each request**,
    so the module-level objects follow ``ERA_STORAGE_URL`` even when it is set after
    import (as test fixtures do).

    Args:
        base_url: e.g. ``"http://127.0.0.1:8787"``; default ``$ERA_STORAGE_URL`` or
            ``http://127.0.0.1:8787``.  A path prefix (``http://host/proxy``) is kept.
        token: bearer token; default ``$ERA_EMU_TOKEN``; ``""`` sends none.
        location: ``X-Era-Location`` value; default ``$ERA_LOCATION``; ``""`` sends none.
        timeout: socket timeout in seconds for connect and each read/write; default
            ``$ERA_STORAGE_TIMEOUT`` or 30.
        retries: extra attempts for safe requests (GET/HEAD, and any request whose
            connection was refused).  Bounded; exponential backoff with jitter.
        retry_writes: also retry writes after resets/timeouts/429/5xx.  Off by default
            because a write may have been applied before its response was lost.
        backoff: first retry delay in seconds (doubles each attempt, capped at 10 s).
        headers: extra headers sent with every request (e.g. a fault-scoping tag).
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        token: Optional[str] = None,
        location: Optional[str] = None,
        timeout: Optional[float] = None,
        retries: int = 2,
        retry_writes: bool = False,
        backoff: float = 0.1,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url
        self.token = token
        self.location = location
        self.timeout = timeout
        self.retries = retries
        self.retry_writes = retry_writes
        self.backoff = backoff
        self.headers = dict(headers or {})
        self.kv = KVStorage(self)
        self.d1 = D1Storage(self)
        self.r2 = R2Storage(self)
        self.resources = ResourceRegistry(self)

    def __repr__(self) -> str:
        return f"Client(base_url={self._base_url()!r})"

    # -- settings resolved per request ------------------------------------------------

    def _base_url(self) -> str:
        return (self.base_url or os.environ.get("ERA_STORAGE_URL") or DEFAULT_URL).rstrip("/")

    def _timeout(self) -> float:
        if self.timeout is not None:
            return self.timeout
        raw = os.environ.get("ERA_STORAGE_TIMEOUT")
        try:
            return float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            return DEFAULT_TIMEOUT

    def _default_headers(self) -> Dict[str, str]:
        headers = {"User-Agent": f"era-storage-python/{__version__}", "Accept": "application/json"}
        token = self.token if self.token is not None else os.environ.get("ERA_EMU_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        location = self.location if self.location is not None else os.environ.get("ERA_LOCATION", "")
        if location:
            headers["X-Era-Location"] = location
        headers.update(self.headers)
        return headers

    # -- one HTTP exchange --------------------------------------------------------------

    def _connect(self) -> Tuple[http.client.HTTPConnection, str]:
        base = urlsplit(self._base_url())
        if base.scheme not in ("http", "https") or not base.hostname:
            raise StorageError(f"invalid ERA_STORAGE_URL: {self._base_url()!r}")
        cls = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
        conn = cls(base.hostname, base.port, timeout=self._timeout(), blocksize=CHUNK_SIZE)
        return conn, base.path.rstrip("/")

    def _wait(self, attempt: int, retry_after: Optional[float] = None) -> None:
        if retry_after is not None:
            delay = retry_after
        else:
            delay = self.backoff * (2 ** attempt) * (0.5 + random.random() / 2)
        time.sleep(max(0.0, min(delay, MAX_RETRY_WAIT)))

    def request(
        self,
        method: str,
        path: str,
        *,
        svc: str,
        op: str,
        body: Optional[Body] = None,
        json_body: Any = None,
        headers: Optional[Mapping[str, Any]] = None,
        retry: Optional[bool] = None,
    ) -> Tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        """Send one request (with bounded retries) and return the open response.

        The caller must read the response and close the connection.  ``retry`` defaults
        to True for GET/HEAD and to ``self.retry_writes`` otherwise; a refused connection
        is always retried (nothing was sent).  Retried statuses: 429, 502, 503, 504.
        Raises ``StorageConnectionError`` when no response could be obtained.
        """
        all_headers = self._default_headers()
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode("utf-8")
        if headers:
            all_headers.update({k: v for k, v in headers.items() if v is not None})
        stream = _is_stream(body)
        rewind: Optional[Callable[[], Any]] = None
        if stream:
            if "Content-Length" not in all_headers:
                size = _stream_length(body)
                if size is not None:  # else http.client sends Transfer-Encoding: chunked
                    all_headers["Content-Length"] = str(size)
            try:
                pos = body.tell()  # type: ignore[union-attr]
                rewind = lambda: body.seek(pos)  # type: ignore[union-attr]  # noqa: E731
            except (AttributeError, OSError, ValueError):
                rewind = None
        if retry is None:
            retry = method in ("GET", "HEAD") or self.retry_writes
        # A request whose body was (partly) consumed from a stream can only be retried
        # when the stream can be rewound.
        can_resend = retry and (not stream or rewind is not None)
        attempts = 1 + self.retries
        for attempt in range(attempts):
            last = attempt == attempts - 1
            conn, prefix = self._connect()
            try:
                conn.connect()
            except OSError as exc:
                conn.close()
                # Nothing was sent: a refused connection is safe to retry for any method.
                if last or not (isinstance(exc, ConnectionRefusedError) or retry):
                    raise _connection_error(svc, op, exc, self._base_url()) from exc
                self._wait(attempt)
                continue
            try:
                conn.request(method, prefix + path, body=body, headers=all_headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if last or not can_resend:
                    raise _connection_error(svc, op, exc, self._base_url()) from exc
                if rewind:
                    rewind()
                self._wait(attempt)
                continue
            if resp.status in (429, 502, 503, 504) and can_resend and not last:
                retry_after = _retry_after(resp.getheader("Retry-After"))
                resp.read()
                conn.close()
                if rewind:
                    rewind()
                self._wait(attempt, retry_after)
                continue
            return resp, conn
        raise AssertionError("unreachable")  # pragma: no cover

    def json_call(
        self,
        method: str,
        path: str,
        *,
        svc: str,
        op: str,
        json_body: Any = None,
        none_on_404: bool = False,
        retry: Optional[bool] = None,
    ) -> Any:
        """Send a JSON request; return the parsed JSON body, or ``None`` on a 404 when
        ``none_on_404``.  Raises the mapped ``StorageError`` subclass otherwise."""
        resp, conn = self.request(method, path, svc=svc, op=op, json_body=json_body, retry=retry)
        try:
            raw = resp.read()
        finally:
            conn.close()
        if resp.status == 404 and none_on_404:
            return None
        if not 200 <= resp.status < 300:
            raise _error_from(resp, raw, svc, op)
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise StorageError(
                f"{svc} {op} failed: invalid JSON in response", status=resp.status,
                body=raw[:1000].decode("utf-8", "replace")) from exc


CONNECT_HINT = ("is era-emu running? Start it with `era-emu up` (it listens on http://127.0.0.1:8787), "
                "run your program under `era-emu exec -- <command>`, or set ERA_STORAGE_URL to where it listens")


def _connection_error(svc: str, op: str, exc: BaseException, url: str) -> StorageConnectionError:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return StorageConnectionError(f"{svc} {op} failed: {url} timed out", code="TIMEOUT")
    hint = f"; {CONNECT_HINT}" if isinstance(exc, (ConnectionRefusedError, socket.gaierror)) else ""
    return StorageConnectionError(f"{svc} {op} failed: cannot reach {url} ({exc}){hint}", code="CONNECTION_FAILED")


def _is_stream(body: Any) -> bool:
    return body is not None and not isinstance(body, (bytes, bytearray, memoryview, str))


def _stream_length(body: Any) -> Optional[int]:
    """Remaining length of a file-like body, or None when it cannot be known."""
    try:
        return os.fstat(body.fileno()).st_size - body.tell()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        pos = body.tell()
        end = body.seek(0, os.SEEK_END)
        body.seek(pos)
        return end - pos
    except (AttributeError, OSError, ValueError):
        return None


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = _parse_time(value)
        if when is None:
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error_from(resp: http.client.HTTPResponse, raw: bytes, svc: str, op: str) -> StorageError:
    """Map a non-2xx response to the right StorageError subclass.

    The message is ``"<svc> <op> failed: <error>"`` as the original SDK raised it, with the
    server's ``details`` string appended in parentheses when there is one.
    """
    text = raw.decode("utf-8", "replace") if raw else ""
    body: Any = text
    error: Optional[str] = None
    code: Optional[str] = None
    details: Any = None
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        body = parsed
        err = parsed.get("error")
        error = err if isinstance(err, str) else (json.dumps(err) if err is not None else None)
        code = parsed.get("code") if isinstance(parsed.get("code"), str) else None
        details = parsed.get("details")
    shown = error or (text.strip()[:200] if text.strip() else None) or f"HTTP {resp.status} {resp.reason}"
    message = f"{svc} {op} failed: {shown}"
    if isinstance(details, str) and details and details != shown:
        message += f" ({details})"
    cls = _ERRORS_BY_STATUS.get(resp.status, StorageError)
    kwargs: Dict[str, Any] = dict(status=resp.status, code=code, details=details, error=error, body=body)
    if cls is RateLimitedError:
        kwargs["retry_after"] = _retry_after(resp.getheader("Retry-After"))
    return cls(message, **kwargs)


# --------------------------------------------------------------------------------------
# Service APIs
# --------------------------------------------------------------------------------------

_T = TypeVar("_T")


class _ClassOrInstance:
    """Method descriptor: on an instance, a normal bound method; on the class, bound to
    the class's default instance.  Keeps the original SDK's ``KVStorage.set(...)``
    static-call style working."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.__func__ = func
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__
        self.__wrapped__ = func

    def __get__(self, obj: Any, owner: type) -> Callable[..., Any]:
        if obj is None:
            obj = owner()
        return types.MethodType(self.__func__, obj)


def _static_compatible(cls: type) -> type:
    for name, value in list(vars(cls).items()):
        if not name.startswith("_") and isinstance(value, types.FunctionType):
            setattr(cls, name, _ClassOrInstance(value))
    return cls


class _Service:
    _svc = ""

    def __init__(self, client: Optional[Client] = None) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        """The client this API talks through (the module default when none was given)."""
        return self._client if self._client is not None else default_client()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.client!r})"


def _paginate(fetch: Callable[[Optional[str]], Tuple[List[_T], bool, Optional[str]]],
              max_pages: int) -> Iterator[_T]:
    """Drive a cursor loop: ``fetch(cursor) -> (items, done, next_cursor)``.

    Stops on ``done`` (not on an empty page, which KV may legitimately return), and fails
    loudly instead of looping forever if the server returns no or the same cursor."""
    cursor: Optional[str] = None
    seen = set()
    for _ in range(max_pages):
        items, done, next_cursor = fetch(cursor)
        yield from items
        if done:
            return
        if not next_cursor or next_cursor in seen:
            raise StorageError("list failed: server reported more results but no new cursor")
        seen.add(next_cursor)
        cursor = next_cursor
    raise StorageError(f"list failed: more than {max_pages} pages")


@_static_compatible
class KVStorage(_Service):
    """Workers KV through the ERA proxy: ``/api/storage/kv/{namespace}/{key}``."""

    _svc = "KV"

    def _path(self, namespace: str, key: Optional[str] = None) -> str:
        path = f"/api/storage/kv/{_encode_segment(namespace)}"
        return path if key is None else f"{path}/{encode_key(key)}"

    def set(
        self,
        namespace: str,
        key: str,
        value: str,
        metadata: Optional[JSON] = None,
        *,
        ttl: Optional[int] = None,
        expiration: Optional[Union[int, datetime]] = None,
        retry: Optional[bool] = None,
    ) -> bool:
        """Store ``value`` under ``key``; returns ``True`` on success.

        Args:
            metadata: any JSON value (≤ 1024 bytes serialised), visible in ``list`` and
                ``get_with_metadata``.
            ttl: expire this many seconds from now (``expirationTtl``, min 60).
            expiration: expire at this absolute time (epoch seconds or aware datetime).
            retry: retry after a lost response (off by default; a KV put is idempotent,
                so turning it on is safe unless another writer races you).
        Raises ``StorageError("KV set failed: ...")``.
        """
        body: Dict[str, Any] = {"value": value, "metadata": metadata}
        if ttl is not None:
            body["expirationTtl"] = int(ttl)
        if expiration is not None:
            body["expiration"] = int(expiration.timestamp()) if isinstance(expiration, datetime) else int(expiration)
        result = self.client.json_call("PUT", self._path(namespace, key), svc="KV", op="set",
                                       json_body=body, retry=retry)
        return bool(result.get("success", False))

    put = set

    def get(self, namespace: str, key: str) -> Optional[str]:
        """The value of ``key`` as text, or ``None`` when it does not exist (an empty
        value comes back as ``""``)."""
        result = self.client.json_call("GET", self._path(namespace, key), svc="KV", op="get",
                                       none_on_404=True)
        return None if result is None else result.get("value")

    def get_with_metadata(self, namespace: str, key: str) -> Optional[Dict[str, Any]]:
        """``{"value", "metadata", "expiration"}`` for ``key``, or ``None`` when missing.

        ``metadata`` is ``None`` when none was stored; ``expiration`` is absolute epoch
        seconds or ``None``."""
        result = self.client.json_call("GET", self._path(namespace, key) + "?metadata=true",
                                       svc="KV", op="get", none_on_404=True)
        if result is None:
            return None
        return {"value": result.get("value"), "metadata": result.get("metadata"),
                "expiration": result.get("expiration")}

    def delete(self, namespace: str, key: str, *, retry: Optional[bool] = None) -> bool:
        """Delete ``key`` (succeeds when it did not exist)."""
        result = self.client.json_call("DELETE", self._path(namespace, key), svc="KV", op="delete",
                                       retry=retry)
        return bool(result.get("success", False))

    def list_page(self, namespace: str, prefix: str = "", limit: int = 1000,
                  cursor: Optional[str] = None) -> Dict[str, Any]:
        """One page: ``{"keys": [{"name", "metadata"?, "expiration"?}], "list_complete",
        "cursor"?}``.  Pass ``cursor`` back (with the same prefix) for the next page."""
        query = _query({"prefix": prefix, "limit": limit, "cursor": cursor})
        return self.client.json_call("GET", self._path(namespace) + query, svc="KV", op="list")

    def list(self, namespace: str, prefix: str = "", limit: int = 100, *,
             cursor: Optional[str] = None) -> List[Dict[str, Any]]:
        """The ``keys`` of one page (legacy shape; default limit 100).  Use ``list_all``
        to see every key."""
        return self.list_page(namespace, prefix, limit, cursor).get("keys", [])

    def list_all(self, namespace: str, prefix: str = "", *, page_size: int = 1000,
                 max_pages: int = MAX_PAGES) -> Iterator[Dict[str, Any]]:
        """Iterate over every key with ``prefix``, following cursors page by page."""
        def fetch(cursor: Optional[str]) -> Tuple[List[Dict[str, Any]], bool, Optional[str]]:
            page = self.list_page(namespace, prefix, page_size, cursor)
            return page.get("keys", []), bool(page.get("list_complete", True)), page.get("cursor")
        return _paginate(fetch, max_pages)


Statement = Union[str, Tuple[str, Sequence[Any]], Mapping[str, Any]]


@_static_compatible
class D1Storage(_Service):
    """D1 (SQLite) through the ERA proxy: one database per namespace on era-emu."""

    _svc = "D1"

    def _path(self, namespace: str, op: str) -> str:
        return f"/api/storage/d1/{_encode_segment(namespace)}/{op}"

    def query(self, namespace: str, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]:
        """Run a statement and return its rows (list of dicts)."""
        result = self.client.json_call("POST", self._path(namespace, "query"), svc="D1", op="query",
                                       json_body={"sql": sql, "params": list(params or [])}, retry=False)
        return result.get("results", [])

    def exec(self, namespace: str, sql: str, params: Optional[Sequence[Any]] = None) -> Dict[str, Any]:
        """Run a statement for its effect; returns ``{"success": True, "meta": {...}}``
        (``meta.changes``, ``meta.last_row_id``, ...)."""
        return self.client.json_call("POST", self._path(namespace, "exec"), svc="D1", op="exec",
                                     json_body={"sql": sql, "params": list(params or [])}, retry=False)

    def first(self, namespace: str, sql: str, params: Optional[Sequence[Any]] = None,
              column: Optional[str] = None) -> Any:
        """The first row (dict) of a query, or ``None`` when there are no rows.  With
        ``column``, that column's value of the first row (``None`` when no rows)."""
        rows = self.query(namespace, sql, params)
        if not rows:
            return None
        row = rows[0]
        if column is None:
            return row
        if column not in row:
            raise KeyError(f"column {column!r} not in result ({', '.join(row)})")
        return row[column]

    def batch(self, namespace: str, statements: Sequence[Statement]) -> List[Dict[str, Any]]:
        """Run statements in one transaction (all or nothing).

        Each statement is ``"SQL"``, ``("SQL", [params])`` or ``{"sql", "params"}``.
        Returns one ``{"results": [...], "meta": {...}}`` per statement."""
        stmts = []
        for st in statements:
            if isinstance(st, str):
                stmts.append({"sql": st, "params": []})
            elif isinstance(st, tuple):
                stmts.append({"sql": st[0], "params": list(st[1] if len(st) > 1 else [])})
            else:
                stmts.append({"sql": st["sql"], "params": list(st.get("params") or [])})
        result = self.client.json_call("POST", self._path(namespace, "batch"), svc="D1", op="batch",
                                       json_body={"statements": stmts}, retry=False)
        return result.get("results", [])


@_static_compatible
class R2Storage(_Service):
    """R2 object storage.

    Legacy calls (``put``/``get``/``delete``/``list``) use the JSON route
    ``/api/storage/r2/{namespace}/{key}`` with base64 bodies, exactly as the original.
    ``put_object``/``put_file``/``get_object``/``get_file``/``open``/``head`` use the
    binary route ``/api/r2/{bucket}/{key}`` (bucket = namespace): raw bodies, streaming,
    ranges and conditional headers.
    """

    _svc = "R2"

    def _path(self, namespace: str, key: Optional[str] = None) -> str:
        path = f"/api/storage/r2/{_encode_segment(namespace)}"
        return path if key is None else f"{path}/{encode_key(key)}"

    def _raw_path(self, bucket: str, key: str) -> str:
        return f"/api/r2/{_encode_segment(bucket)}/{encode_key(key)}"

    # -- legacy JSON route --------------------------------------------------------------

    def put(self, namespace: str, key: str, content: Union[bytes, bytearray, str],
            metadata: Optional[Dict[str, str]] = None, *, content_type: Optional[str] = None,
            http_metadata: Optional[Dict[str, str]] = None, retry: Optional[bool] = None) -> bool:
        """Store ``content`` (bytes; ``str`` is UTF-8 encoded) as one base64 JSON body.

        ``metadata`` becomes the object's custom metadata.  Fine for small objects; use
        ``put_file``/``put_object`` for large ones.  Returns ``True`` on success."""
        if isinstance(content, str):
            content = content.encode("utf-8")
        body: Dict[str, Any] = {"content": base64.b64encode(bytes(content)).decode("ascii"),
                                "metadata": metadata}
        hm = dict(http_metadata or {})
        if content_type:
            hm["contentType"] = content_type
        if hm:
            body["httpMetadata"] = hm
        result = self.client.json_call("PUT", self._path(namespace, key), svc="R2", op="put",
                                       json_body=body, retry=retry)
        return bool(result.get("success", False))

    def get(self, namespace: str, key: str) -> Optional[bytes]:
        """The object's bytes, or ``None`` when missing.

        Legacy quirk kept on purpose (wire spec §6): an **empty** object also returns
        ``None``.  Use ``get_object`` to tell the two apart."""
        result = self.client.json_call("GET", self._path(namespace, key), svc="R2", op="get",
                                       none_on_404=True)
        if result is None:
            return None
        content = result.get("content")
        return base64.b64decode(content) if content else None

    def delete(self, namespace: str, key: str, *, retry: Optional[bool] = None) -> bool:
        """Delete an object (succeeds when it did not exist)."""
        result = self.client.json_call("DELETE", self._path(namespace, key), svc="R2", op="delete",
                                       retry=retry)
        return bool(result.get("success", False))

    def list_page(self, namespace: str, prefix: str = "", limit: int = 1000,
                  cursor: Optional[str] = None, delimiter: Optional[str] = None) -> Dict[str, Any]:
        """One page: ``{"objects": [{"key","size","uploaded","etag"}], "truncated",
        "cursor"?, "delimitedPrefixes"?}``."""
        query = _query({"prefix": prefix, "limit": limit, "cursor": cursor, "delimiter": delimiter})
        return self.client.json_call("GET", self._path(namespace) + query, svc="R2", op="list")

    def list(self, namespace: str, prefix: str = "", limit: int = 100, *,
             cursor: Optional[str] = None, delimiter: Optional[str] = None) -> List[Dict[str, Any]]:
        """The ``objects`` of one page (legacy shape; default limit 100)."""
        return self.list_page(namespace, prefix, limit, cursor, delimiter).get("objects", [])

    def list_all(self, namespace: str, prefix: str = "", *, page_size: int = 1000,
                 max_pages: int = MAX_PAGES) -> Iterator[Dict[str, Any]]:
        """Iterate over every object with ``prefix``, following cursors page by page."""
        def fetch(cursor: Optional[str]) -> Tuple[List[Dict[str, Any]], bool, Optional[str]]:
            page = self.list_page(namespace, prefix, page_size, cursor)
            return page.get("objects", []), not page.get("truncated", False), page.get("cursor")
        return _paginate(fetch, max_pages)

    # -- binary route -------------------------------------------------------------------

    @staticmethod
    def _condition_headers(if_match: Optional[str], if_none_match: Optional[str],
                           if_modified_since: Optional[DateLike],
                           if_unmodified_since: Optional[DateLike]) -> Dict[str, str]:
        headers: Dict[str, str] = {}
        if if_match is not None:
            headers["If-Match"] = _quote_etag(if_match)
        if if_none_match is not None:
            headers["If-None-Match"] = _quote_etag(if_none_match)
        if if_modified_since is not None:
            headers["If-Modified-Since"] = _http_date(if_modified_since)
        if if_unmodified_since is not None:
            headers["If-Unmodified-Since"] = _http_date(if_unmodified_since)
        return headers

    def head(self, namespace: str, key: str) -> Optional[R2Object]:
        """The object's metadata (no body), or ``None`` when missing."""
        resp, conn = self.client.request("HEAD", self._raw_path(namespace, key), svc="R2", op="head")
        try:
            raw = resp.read()
        finally:
            conn.close()
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise _error_from(resp, raw, "R2", "head")
        return R2Object._from_headers(key, resp.status, resp.headers)

    def open(
        self,
        namespace: str,
        key: str,
        *,
        range: Optional[RangeLike] = None,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
        if_modified_since: Optional[DateLike] = None,
        if_unmodified_since: Optional[DateLike] = None,
    ) -> Optional[R2Reader]:
        """Start a streaming GET; returns an ``R2Reader`` (close it, or use ``with``),
        or ``None`` when the object is missing.

        On 304 (not modified) the reader's ``object.status`` is 304 and the body empty.
        Raises ``PreconditionFailedError`` (412) or ``RangeNotSatisfiableError`` (416).
        ``range``: ``{"offset", "length"}``, ``{"suffix"}``, ``(offset, length)`` or a
        ``"bytes=..."`` string."""
        headers = self._condition_headers(if_match, if_none_match, if_modified_since, if_unmodified_since)
        if range is not None:
            headers["Range"] = _range_header(range)
        resp, conn = self.client.request("GET", self._raw_path(namespace, key), svc="R2", op="get",
                                         headers=headers)
        if resp.status in (200, 206, 304):
            return R2Reader(R2Object._from_headers(key, resp.status, resp.headers), resp, conn)
        try:
            raw = resp.read()
        finally:
            conn.close()
        if resp.status == 404:
            return None
        raise _error_from(resp, raw, "R2", "get")

    def get_object(self, namespace: str, key: str, **options: Any) -> Optional[R2Object]:
        """Read an object through the binary route into memory: an ``R2Object`` with
        ``body`` (``b""`` for an empty object), or ``None`` when missing.

        Takes the same ``range``/``if_*`` options as ``open``; on 304 ``body`` is None."""
        reader = self.open(namespace, key, **options)
        if reader is None:
            return None
        with reader:
            obj = reader.object
            obj.body = None if obj.status == 304 else reader.read()
        return obj

    def get_file(self, namespace: str, key: str, path: Union[str, "os.PathLike[str]"], *,
                 chunk_size: int = CHUNK_SIZE, **options: Any) -> Optional[R2Object]:
        """Stream an object into the file ``path`` (memory stays at one chunk).

        The file is written to a temporary sibling and renamed into place, so ``path`` is
        never left half-written.  Returns the object's metadata (``None`` when missing);
        on 304 the file is left untouched.  Takes ``open``'s ``range``/``if_*`` options."""
        reader = self.open(namespace, key, **options)
        if reader is None:
            return None
        with reader:
            if reader.object.status == 304:
                return reader.object
            directory = os.path.dirname(os.path.abspath(os.fspath(path)))
            fd, tmp = tempfile.mkstemp(prefix=".era-download-", dir=directory)
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in reader.iter_chunks(chunk_size):
                        out.write(chunk)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            return reader.object

    def put_object(
        self,
        namespace: str,
        key: str,
        data: Body,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        http_metadata: Optional[Mapping[str, Any]] = None,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
        if_modified_since: Optional[DateLike] = None,
        if_unmodified_since: Optional[DateLike] = None,
        retry: Optional[bool] = None,
    ) -> R2Object:
        """Upload raw bytes or a binary file object through the binary route.

        A file object is streamed (``Content-Length`` from its size when it can be known,
        chunked transfer otherwise), never read into memory.  ``metadata`` becomes
        ``X-Era-Meta-*`` headers; ``http_metadata`` keys are ``contentType``,
        ``contentLanguage``, ``contentDisposition``, ``contentEncoding``,
        ``cacheControl``, ``cacheExpiry``.  Conditions: ``if_none_match="*"`` creates only
        if absent; ``if_match=etag`` replaces only that version.  Raises
        ``PreconditionFailedError`` when a condition fails."""
        headers: Dict[str, Any] = self._condition_headers(
            if_match, if_none_match, if_modified_since, if_unmodified_since)
        reverse = {v: k for k, v in _HTTP_METADATA_HEADERS.items()}
        for name, value in (http_metadata or {}).items():
            if name not in reverse:
                raise ValueError(f"unknown http_metadata field {name!r}")
            headers[reverse[name].title()] = _http_date(value) if name == "cacheExpiry" else value
        headers["Content-Type"] = content_type or headers.pop("Content-Type", None) or "application/octet-stream"
        for name, value in (metadata or {}).items():
            headers[f"X-Era-Meta-{name}"] = value.encode("utf-8") if not value.isascii() else value
        if isinstance(data, str):
            data = data.encode("utf-8")
        resp, conn = self.client.request("PUT", self._raw_path(namespace, key), svc="R2", op="put",
                                         body=data, headers=headers, retry=retry)
        try:
            raw = resp.read()
        finally:
            conn.close()
        if not 200 <= resp.status < 300:
            raise _error_from(resp, raw, "R2", "put")
        return R2Object._from_json(key, json.loads(raw) if raw else {})

    def put_file(self, namespace: str, key: str, path: Union[str, "os.PathLike[str]"], *,
                 content_type: Optional[str] = None, **options: Any) -> R2Object:
        """Stream the file at ``path`` to R2 (a 1 GiB file is never held in memory).

        ``content_type`` defaults to a guess from the file name.  Takes the other
        ``put_object`` options (``metadata``, ``http_metadata``, ``if_*``, ``retry``);
        retries re-read the file from the start."""
        if content_type is None:
            content_type = mimetypes.guess_type(os.fspath(path))[0] or "application/octet-stream"
        with open(path, "rb") as fh:
            return self.put_object(namespace, key, fh, content_type=content_type, **options)

    # -- signed URLs --------------------------------------------------------------------

    def sign_url(self, bucket: str, key: str, method: str = "GET", *, expires_in: int = 3600,
                 one_time: bool = False, content_type: Optional[str] = None,
                 max_bytes: Optional[int] = None) -> Dict[str, Any]:
        """Ask the server for a signed URL: ``{"url", "expires_at", "expires_ms", "method",
        "bucket", "key", "one_time", ...}`` (``POST /api/signed-urls``).

        The URL needs no bearer token.  ``method`` is what it allows: ``"GET"`` (HEAD too)
        or ``"PUT"``; ``expires_in`` is 1..604800 seconds of the emulator's (virtual) clock;
        ``one_time`` makes it work for exactly one request; ``content_type`` (the upload must
        send exactly this Content-Type) and ``max_bytes`` constrain a PUT.  A refused use
        answers 403 with a ``reason`` (docs/products.md, "Access and signed URLs")."""
        body: Dict[str, Any] = {"bucket": bucket, "key": key, "method": method.upper(),
                                "expiresIn": int(expires_in), "oneTime": bool(one_time)}
        if content_type is not None:
            body["contentType"] = content_type
        if max_bytes is not None:
            body["maxBytes"] = int(max_bytes)
        return self.client.json_call("POST", "/api/signed-urls", svc="R2", op="sign_url",
                                     json_body=body, retry=False)


@_static_compatible
class ResourceRegistry(_Service):
    """Resource discovery: ``/api/resources/list`` and ``/api/resources/stats``."""

    _svc = "Resources"

    def list(self, type: Optional[str] = None, namespace: Optional[str] = None,
             key_prefix: Optional[str] = None, limit: Optional[int] = None,
             offset: Optional[int] = None) -> Dict[str, Any]:
        """``{"resources": [...], "total", "offset", "limit", "has_more"}``; resources are
        ``{"type", "namespace", "key", "created_at", "updated_at", "size"?, "metadata"?}``
        sorted by ``updated_at`` descending."""
        query = _query({"type": type, "namespace": namespace, "key_prefix": key_prefix,
                        "limit": limit, "offset": offset})
        return self.client.json_call("GET", "/api/resources/list" + query, svc="Resources", op="list")

    def list_all(self, type: Optional[str] = None, namespace: Optional[str] = None,
                 key_prefix: Optional[str] = None, *, page_size: int = 100,
                 max_pages: int = MAX_PAGES) -> Iterator[Dict[str, Any]]:
        """Iterate over every matching resource by offset paging."""
        offset = 0
        for _ in range(max_pages):
            page = self.list(type, namespace, key_prefix, page_size, offset)
            items = page.get("resources", [])
            yield from items
            if not page.get("has_more") or not items:
                return
            offset += len(items)
        raise StorageError(f"Resources list failed: more than {max_pages} pages")

    def stats(self) -> Dict[str, Any]:
        """``{"total", "by_type": {...}, "by_namespace": {...}, "total_size"}``."""
        return self.client.json_call("GET", "/api/resources/stats", svc="Resources", op="stats")


# --------------------------------------------------------------------------------------
# Module-level defaults (the original SDK's surface)
# --------------------------------------------------------------------------------------

_default_client = Client()


def default_client() -> Client:
    """The client behind the module-level ``kv``, ``d1``, ``r2`` and ``resources``."""
    return _default_client


def configure(**settings: Any) -> Client:
    """Change the module default client's settings (``base_url``, ``token``,
    ``location``, ``timeout``, ``retries``, ``retry_writes``, ``backoff``, ``headers``).
    Returns the default client."""
    for name, value in settings.items():
        if name not in ("base_url", "token", "location", "timeout", "retries",
                        "retry_writes", "backoff", "headers"):
            raise TypeError(f"unknown setting {name!r}")
        setattr(_default_client, name, value)
    return _default_client


def sign_url(bucket: str, key: str, method: str = "GET", *, expires_in: int = 3600,
             one_time: bool = False, content_type: Optional[str] = None,
             max_bytes: Optional[int] = None) -> Dict[str, Any]:
    """Module-level shortcut for ``r2.sign_url``."""
    return r2.sign_url(bucket, key, method, expires_in=expires_in, one_time=one_time,
                       content_type=content_type, max_bytes=max_bytes)


#: Legacy convenience instances, bound to the default client.
kv = KVStorage()
d1 = D1Storage()
r2 = R2Storage()
resources = ResourceRegistry()
