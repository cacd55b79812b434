"""Integration tests for the SDK's additions over the original (TTL, metadata reads,
pagination, D1 batch/first, the binary R2 route, ranges, conditionals, encoding round
trips, auth, signed URLs) against a real era-emu."""

from __future__ import annotations

import hashlib
import io
import json
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, Optional, Tuple

import pytest

import era_storage
from era_storage import NotFoundError, PreconditionFailedError, RangeNotSatisfiableError, StorageError

pytestmark = pytest.mark.usefixtures("era_emu")

AWKWARD_KEYS = [
    "with space",
    "question?mark",
    "hash#tag",
    "percent%20literal",
    "100%",
    "plus+sign",
    "unicodé/日本語/😀",
    "deep/path/to/file.txt",
    "a/../b",
    "./dot",
    "amp&eq=semi;",
    "tilde~under_score-dash.dot",
]

# ------------------------------------------------------------------ KV


def test_kv_keys_round_trip_exactly(ns: str) -> None:
    for i, key in enumerate(AWKWARD_KEYS):
        assert era_storage.kv.set(ns, key, f"v{i}") is True
    for i, key in enumerate(AWKWARD_KEYS):
        assert era_storage.kv.get(ns, key) == f"v{i}", key
    listed = [k["name"] for k in era_storage.kv.list_all(ns)]
    assert listed == sorted(AWKWARD_KEYS, key=lambda k: k.encode())
    assert [k["name"] for k in era_storage.kv.list(ns, prefix="unicodé/")] == ["unicodé/日本語/😀"]
    for key in AWKWARD_KEYS:
        era_storage.kv.delete(ns, key)
    assert era_storage.kv.list(ns) == []


def test_kv_empty_value_is_not_missing(ns: str) -> None:
    era_storage.kv.set(ns, "empty", "")
    assert era_storage.kv.get(ns, "empty") == ""
    assert era_storage.kv.get_with_metadata(ns, "empty")["value"] == ""


def test_kv_get_with_metadata(ns: str) -> None:
    era_storage.kv.set(ns, "k", "v", {"tags": ["a", "b"], "n": 1})
    assert era_storage.kv.get_with_metadata(ns, "k") == {
        "value": "v", "metadata": {"tags": ["a", "b"], "n": 1}, "expiration": None}
    era_storage.kv.set(ns, "plain", "v")
    assert era_storage.kv.get_with_metadata(ns, "plain")["metadata"] is None
    assert era_storage.kv.get_with_metadata(ns, "missing") is None


def test_kv_ttl_and_absolute_expiration(era_emu, ns: str) -> None:
    now = int(time.time())
    era_storage.kv.set(ns, "ttl", "a", ttl=120)
    era_storage.kv.set(ns, "abs", "b", expiration=datetime.now(timezone.utc) + timedelta(seconds=600))
    era_storage.kv.set(ns, "forever", "c")
    entries = {k["name"]: k for k in era_storage.kv.list(ns)}
    assert now + 100 <= entries["ttl"]["expiration"] <= now + 200
    assert now + 550 <= entries["abs"]["expiration"] <= now + 700
    assert "expiration" not in entries["forever"]

    era_emu.advance(121_000)
    assert era_storage.kv.get(ns, "ttl") is None
    assert era_storage.kv.get(ns, "abs") == "b"
    era_emu.advance(500_000)
    assert era_storage.kv.get(ns, "abs") is None
    assert [k["name"] for k in era_storage.kv.list(ns)] == ["forever"]


def test_kv_rejects_ttl_below_60(ns: str) -> None:
    with pytest.raises(StorageError) as info:
        era_storage.kv.set(ns, "k", "v", ttl=10)
    assert info.value.status == 400
    assert str(info.value).startswith("KV set failed: Invalid expiration_ttl of 10")


def test_kv_pagination_over_1000_keys(ns: str) -> None:
    n = 1_205
    client = era_storage.default_client()
    for i in range(n):
        client.kv.set(ns, f"key:{i:05d}", str(i))
    first = era_storage.kv.list_page(ns, prefix="key:", limit=1000)
    assert len(first["keys"]) == 1000 and first["list_complete"] is False and first["cursor"]
    second = era_storage.kv.list_page(ns, prefix="key:", limit=1000, cursor=first["cursor"])
    assert len(second["keys"]) == n - 1000 and second["list_complete"] is True
    names = [k["name"] for k in era_storage.kv.list_all(ns, prefix="key:", page_size=500)]
    assert names == [f"key:{i:05d}" for i in range(n)]
    # the legacy call still returns one page of 100
    assert len(era_storage.kv.list(ns)) == 100


# ------------------------------------------------------------------ D1


def test_d1_first_and_batch(ns: str) -> None:
    d1 = era_storage.d1
    results = d1.batch(ns, [
        "CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)",
        ("INSERT INTO acct (owner, balance) VALUES (?, ?)", ["ada", 100]),
        {"sql": "INSERT INTO acct (owner, balance) VALUES (?, ?)", "params": ["bob", 50]},
        "SELECT owner, balance FROM acct ORDER BY id",
    ])
    assert len(results) == 4
    assert results[1]["meta"]["changes"] == 1
    assert results[3]["results"] == [{"owner": "ada", "balance": 100}, {"owner": "bob", "balance": 50}]

    assert d1.first(ns, "SELECT owner FROM acct WHERE balance > ?", [60]) == {"owner": "ada"}
    assert d1.first(ns, "SELECT SUM(balance) AS total FROM acct", column="total") == 150
    assert d1.first(ns, "SELECT * FROM acct WHERE owner = ?", ["zed"]) is None

    # a failing batch is rolled back as a whole
    with pytest.raises(StorageError) as info:
        d1.batch(ns, [("UPDATE acct SET balance = balance - 10 WHERE owner = ?", ["ada"]),
                      "INSERT INTO no_such_table VALUES (1)"])
    assert str(info.value).startswith("D1 batch failed: ")
    assert d1.first(ns, "SELECT balance FROM acct WHERE owner = 'ada'", column="balance") == 100


def test_d1_param_types(ns: str) -> None:
    d1 = era_storage.d1
    d1.exec(ns, "CREATE TABLE IF NOT EXISTS v (i INTEGER, r REAL, t TEXT, n TEXT, b INTEGER)")
    d1.exec(ns, "INSERT INTO v VALUES (?, ?, ?, ?, ?)", [42, 1.5, "héllo", None, True])
    assert d1.query(ns, "SELECT * FROM v") == [{"i": 42, "r": 1.5, "t": "héllo", "n": None, "b": 1}]


# ------------------------------------------------------------------ R2 binary route


def test_r2_binary_put_get_head_delete(ns: str) -> None:
    r2 = era_storage.r2
    data = bytes(range(256)) * 4
    obj = r2.put_object(ns, "bin/data.bin", data, content_type="application/x-test",
                        metadata={"owner": "ada"}, http_metadata={"cacheControl": "max-age=60"})
    assert obj.size == len(data)
    assert obj.etag == hashlib.md5(data).hexdigest()
    assert obj.http_etag == f'"{obj.etag}"'

    head = r2.head(ns, "bin/data.bin")
    assert (head.size, head.etag, head.content_type) == (len(data), obj.etag, "application/x-test")
    assert head.custom_metadata == {"owner": "ada"}
    assert head.http_metadata.get("cacheControl") == "max-age=60"
    assert head.uploaded is not None

    got = r2.get_object(ns, "bin/data.bin")
    assert got.body == data and got.status == 200
    # the JSON route and the binary route see the same object
    assert r2.get(ns, "bin/data.bin") == data
    assert [o["key"] for o in r2.list(ns)] == ["bin/data.bin"]

    r2.put_object(ns, "empty", b"")
    assert r2.get_object(ns, "empty").body == b""
    assert r2.get(ns, "empty") is None  # legacy quirk

    assert r2.delete(ns, "bin/data.bin") is True
    assert r2.head(ns, "bin/data.bin") is None
    assert r2.get_object(ns, "bin/data.bin") is None


def test_r2_keys_round_trip_on_both_routes(ns: str) -> None:
    for i, key in enumerate(AWKWARD_KEYS):
        if i % 2:
            era_storage.r2.put(ns, key, key.encode())
        else:
            era_storage.r2.put_object(ns, key, key.encode())
    for key in AWKWARD_KEYS:
        assert era_storage.r2.get_object(ns, key).body == key.encode(), key
        assert era_storage.r2.get(ns, key) == key.encode(), key
    assert sorted(o["key"] for o in era_storage.r2.list_all(ns)) == sorted(AWKWARD_KEYS)


def test_r2_range_reads(ns: str) -> None:
    data = b"0123456789abcdef"
    era_storage.r2.put_object(ns, "r", data)
    cases = [({"offset": 2, "length": 4}, b"2345", (2, 5)), ({"offset": 10}, b"abcdef", (10, 15)),
             ({"suffix": 3}, b"def", (13, 15)), ((0, 1), b"0", (0, 0)), ("bytes=4-6", b"456", (4, 6))]
    for rng, expected, span in cases:
        obj = era_storage.r2.get_object(ns, "r", range=rng)
        assert (obj.status, obj.body, obj.range, obj.size) == (206, expected, span, len(data)), rng
    with pytest.raises(RangeNotSatisfiableError):
        era_storage.r2.get_object(ns, "r", range={"offset": 100})


def test_r2_conditional_get(ns: str) -> None:
    obj = era_storage.r2.put_object(ns, "c", b"v1")
    assert era_storage.r2.get_object(ns, "c", if_match=obj.etag).body == b"v1"
    assert era_storage.r2.get_object(ns, "c", if_none_match="other").body == b"v1"
    nm = era_storage.r2.get_object(ns, "c", if_none_match=obj.etag)
    assert nm.not_modified and nm.body is None
    with pytest.raises(PreconditionFailedError) as info:
        era_storage.r2.get_object(ns, "c", if_match="0" * 32)
    assert info.value.status == 412
    future = datetime.now(timezone.utc) + timedelta(days=1)
    past = datetime.now(timezone.utc) - timedelta(days=1)
    assert era_storage.r2.get_object(ns, "c", if_modified_since=future).not_modified
    assert era_storage.r2.get_object(ns, "c", if_modified_since=past).body == b"v1"
    with pytest.raises(PreconditionFailedError):
        era_storage.r2.get_object(ns, "c", if_unmodified_since=past)


def test_r2_conditional_put(ns: str) -> None:
    r2 = era_storage.r2
    v1 = r2.put_object(ns, "lock", b"v1", if_none_match="*")  # create only if absent
    with pytest.raises(PreconditionFailedError) as info:
        r2.put_object(ns, "lock", b"again", if_none_match="*")
    assert str(info.value).startswith("R2 put failed: ")
    assert r2.get_object(ns, "lock").body == b"v1"

    v2 = r2.put_object(ns, "lock", b"v2", if_match=v1.etag)  # compare-and-swap
    with pytest.raises(PreconditionFailedError):
        r2.put_object(ns, "lock", b"v3", if_match=v1.etag)
    assert r2.get_object(ns, "lock").body == b"v2"
    assert v2.etag != v1.etag


def test_r2_streaming_helpers_small(tmp_path, ns: str) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"line\n" * 1000)
    obj = era_storage.r2.put_file(ns, "docs/in.txt", src, metadata={"k": "v"})
    assert obj.size == 5000
    assert era_storage.r2.head(ns, "docs/in.txt").content_type == "text/plain"
    dst = tmp_path / "out.txt"
    meta = era_storage.r2.get_file(ns, "docs/in.txt", dst)
    assert dst.read_bytes() == src.read_bytes()
    assert meta.custom_metadata == {"k": "v"}
    assert era_storage.r2.get_file(ns, "missing", tmp_path / "nothing") is None
    assert not (tmp_path / "nothing").exists()
    with era_storage.r2.open(ns, "docs/in.txt", range={"offset": 0, "length": 10}) as reader:
        assert reader.read() == b"line\nline\n"
    # a non-seekable stream goes out chunked
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.left = [b"abc", b"def"]
        def readable(self) -> bool:
            return True
        def read(self, n: int = -1) -> bytes:
            return self.left.pop(0) if self.left else b""
    assert era_storage.r2.put_object(ns, "piped", Pipe()).size == 6
    assert era_storage.r2.get_object(ns, "piped").body == b"abcdef"


def test_r2_pagination_and_delimiter(ns: str) -> None:
    for i in range(1_010):
        era_storage.r2.put_object(ns, f"p/{i:04d}", b"x")
    era_storage.r2.put_object(ns, "q/a/1", b"x")
    era_storage.r2.put_object(ns, "q/b/1", b"x")
    first = era_storage.r2.list_page(ns, prefix="p/", limit=1000)
    assert len(first["objects"]) == 1000 and first["truncated"] is True
    keys = [o["key"] for o in era_storage.r2.list_all(ns, prefix="p/")]
    assert keys == [f"p/{i:04d}" for i in range(1_010)]
    grouped = era_storage.r2.list_page(ns, prefix="q/", delimiter="/")
    assert grouped["objects"] == []
    assert grouped["delimitedPrefixes"] == ["q/a/", "q/b/"]


# ------------------------------------------------------------------ auth, signed URLs


def test_bearer_token_from_env(tmp_path, monkeypatch) -> None:
    from conftest import start_emulator, stop_emulator

    emu = start_emulator(tmp_path, ["--token", "t0ps3cret"])
    try:
        monkeypatch.setenv("ERA_STORAGE_URL", emu.url)
        monkeypatch.delenv("ERA_EMU_TOKEN", raising=False)
        with pytest.raises(StorageError) as info:
            era_storage.kv.set("authns", "k", "v")
        assert info.value.status == 401
        monkeypatch.setenv("ERA_EMU_TOKEN", "wrong")
        with pytest.raises(StorageError):
            era_storage.kv.get("authns", "k")
        monkeypatch.setenv("ERA_EMU_TOKEN", "t0ps3cret")
        assert era_storage.kv.set("authns", "k", "v") is True
        assert era_storage.kv.get("authns", "k") == "v"
    finally:
        stop_emulator(emu)


def _fetch(url: str, method: str = "GET", data: Optional[bytes] = None,
           headers: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
    """A plain, token-less HTTP request, as a browser holding the URL would make."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_sign_url_get(era_emu, ns: str) -> None:
    signed = era_storage.sign_url(ns, "shared.txt", "GET", expires_in=300)
    assert signed["url"].startswith(era_emu.url + "/signed/")
    assert signed["expires_at"].endswith("Z")
    assert signed["one_time"] is False
    era_storage.r2.put(ns, "shared.txt", b"signed content")
    assert _fetch(signed["url"]) == (200, b"signed content")
    status, body = _fetch(signed["url"].replace("shared.txt", "other.txt"))
    assert status == 403 and json.loads(body)["reason"] == "bad_signature"
    era_emu.advance(300_000)
    status, body = _fetch(signed["url"])
    assert status == 403 and json.loads(body)["code"] == "SIGNED_URL_EXPIRED"


def test_sign_url_one_time_put(ns: str) -> None:
    signed = era_storage.r2.sign_url(ns, "upload.bin", "put", one_time=True,
                                     content_type="application/octet-stream", max_bytes=8)
    assert signed["method"] == "PUT" and signed["one_time"] is True
    ct = {"Content-Type": "application/octet-stream"}
    status, body = _fetch(signed["url"], "PUT", b"123456789", ct)
    assert status == 403 and json.loads(body)["reason"] == "too_large"
    status, body = _fetch(signed["url"], "PUT", b"1234", {"Content-Type": "text/plain"})
    assert status == 403 and json.loads(body)["reason"] == "content_type_mismatch"
    assert _fetch(signed["url"], "PUT", b"12345678", ct)[0] == 200  # failures did not use it up
    status, body = _fetch(signed["url"], "PUT", b"again", ct)
    assert status == 403 and json.loads(body)["reason"] == "already_used"
    assert era_storage.r2.get(ns, "upload.bin") == b"12345678"


def test_sign_url_rejects_bad_requests(ns: str) -> None:
    with pytest.raises(StorageError) as info:
        era_storage.sign_url(ns, "k", "GET", expires_in=604_801)
    assert info.value.status == 400
