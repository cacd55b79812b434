"""Unit tests against an in-process stub server: exact bytes on the wire (URL encoding,
bodies, headers) and the mapping of responses to return values and errors."""

from __future__ import annotations

import base64
import io

import pytest

import era_storage
from conftest import closed_port
from era_storage import (
    Client,
    NotFoundError,
    PreconditionFailedError,
    RangeNotSatisfiableError,
    RateLimitedError,
    StorageConnectionError,
    StorageError,
)

# ------------------------------------------------------------------ key encoding


@pytest.mark.parametrize(
    "key, wire",
    [
        ("plain", "plain"),
        ("with space", "with%20space"),
        ("q?x=1", "q%3Fx%3D1"),
        ("frag#ment", "frag%23ment"),
        ("100%", "100%25"),
        ("a%20b", "a%2520b"),  # a literal %20 must not be decoded by the server
        ("plus+sign", "plus%2Bsign"),
        ("unicodé/日本", "unicod%C3%A9/%E6%97%A5%E6%9C%AC"),
        ("emoji😀", "emoji%F0%9F%98%80"),
        ("dir/sub/file.txt", "dir/sub/file.txt"),
        ("a/../b", "a%2F..%2Fb"),
        ("./x", ".%2Fx"),
        ("x/.", "x%2F."),
        ("..", "%2E%2E"),
        ("a..b/.hidden", "a..b/.hidden"),
        ("tilde~_-.", "tilde~_-."),
        ("colon:semi;at@", "colon%3Asemi%3Bat%40"),
        ("trailing/", "trailing/"),
        ("back\\slash", "back%5Cslash"),
    ],
)
def test_encode_key_escapes_everything_but_unreserved_and_slash(key: str, wire: str) -> None:
    assert era_storage.encode_key(key) == wire


def test_encode_key_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        era_storage.encode_key(b"bytes")  # type: ignore[arg-type]


def test_kv_set_puts_encoded_key_and_legacy_body(stub, stub_client) -> None:
    assert stub_client.kv.set("my ns", "user ?#%/é", "v") is True
    req = stub.requests[-1]
    assert req.method == "PUT"
    assert req.path == "/api/storage/kv/my%20ns/user%20%3F%23%25/%C3%A9"
    assert req.headers["Content-Type"] == "application/json"
    assert req.json() == {"value": "v", "metadata": None}


def test_kv_set_sends_ttl_expiration_and_metadata(stub, stub_client) -> None:
    stub_client.kv.set("ns", "k", "v", {"a": 1}, ttl=120, expiration=2_000_000_000)
    assert stub.requests[-1].json() == {"value": "v", "metadata": {"a": 1},
                                        "expirationTtl": 120, "expiration": 2_000_000_000}


def test_list_prefix_and_cursor_are_query_encoded(stub, stub_client) -> None:
    stub.reply(200, {"keys": [{"name": "a&b"}], "list_complete": True})
    assert stub_client.kv.list("ns", prefix="a&b c+/", limit=5, cursor="c/=+") == [{"name": "a&b"}]
    assert stub.requests[-1].path == "/api/storage/kv/ns?prefix=a%26b%20c%2B%2F&limit=5&cursor=c%2F%3D%2B"


def test_legacy_list_default_limit_is_100(stub, stub_client) -> None:
    stub.reply(200, {"objects": [], "truncated": False})
    stub_client.r2.list("ns")
    assert stub.requests[-1].path == "/api/storage/r2/ns?prefix=&limit=100"


def test_base_url_path_prefix_is_kept(stub) -> None:
    client = Client(stub.url + "/proxy/", token="", location="")
    client.kv.delete("ns", "k")
    assert stub.requests[-1].path == "/proxy/api/storage/kv/ns/k"


# ------------------------------------------------------------------ headers & env


def test_env_token_and_location_are_sent(stub, monkeypatch) -> None:
    monkeypatch.setenv("ERA_STORAGE_URL", stub.url)
    monkeypatch.setenv("ERA_EMU_TOKEN", "s3cret")
    monkeypatch.setenv("ERA_LOCATION", "eu-west")
    era_storage.kv.delete("ns", "k")
    headers = stub.requests[-1].headers
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["X-Era-Location"] == "eu-west"


def test_no_auth_header_without_token(stub, monkeypatch) -> None:
    monkeypatch.setenv("ERA_STORAGE_URL", stub.url)
    monkeypatch.delenv("ERA_EMU_TOKEN", raising=False)
    monkeypatch.delenv("ERA_LOCATION", raising=False)
    era_storage.kv.delete("ns", "k")
    assert "Authorization" not in stub.requests[-1].headers
    assert "X-Era-Location" not in stub.requests[-1].headers


def test_static_class_calls_like_the_original(stub, monkeypatch) -> None:
    monkeypatch.setenv("ERA_STORAGE_URL", stub.url)
    stub.reply(200, {"value": "hello"})
    assert era_storage.KVStorage.get("ns", "k") == "hello"
    stub.reply(200, {"success": True, "results": [{"x": 1}], "meta": {}})
    assert era_storage.D1Storage.query("ns", "SELECT 1 AS x") == [{"x": 1}]
    assert stub.requests[-1].json() == {"sql": "SELECT 1 AS x", "params": []}


# ------------------------------------------------------------------ legacy return shapes


def test_kv_get_404_is_none_and_empty_string_is_kept(stub, stub_client) -> None:
    stub.reply(404, {"error": "Key not found"})
    assert stub_client.kv.get("ns", "missing") is None
    stub.reply(200, {"value": ""})
    assert stub_client.kv.get("ns", "empty") == ""


def test_r2_legacy_put_and_get_base64(stub, stub_client) -> None:
    stub.reply(200, {"success": True, "size": 3})
    assert stub_client.r2.put("ns", "f.bin", b"\x00\xffA", {"m": "1"}) is True
    assert stub.requests[-1].json() == {"content": base64.b64encode(b"\x00\xffA").decode(),
                                        "metadata": {"m": "1"}}
    stub.reply(200, {"content": base64.b64encode(b"xyz").decode(), "size": 3})
    assert stub_client.r2.get("ns", "f.bin") == b"xyz"
    stub.reply(200, {"content": "", "size": 0})
    assert stub_client.r2.get("ns", "empty") is None  # legacy quirk, spec §6
    stub.reply(404, {"error": "Object not found"})
    assert stub_client.r2.get("ns", "missing") is None


def test_d1_exec_returns_whole_body(stub, stub_client) -> None:
    body = {"success": True, "meta": {"changes": 1, "last_row_id": 7}}
    stub.reply(200, body)
    assert stub_client.d1.exec("ns", "INSERT INTO t VALUES (?)", [1]) == body
    assert stub.requests[-1].path == "/api/storage/d1/ns/exec"


def test_d1_batch_normalises_statement_forms(stub, stub_client) -> None:
    stub.reply(200, {"success": True, "results": [{"results": [], "meta": {}}] * 3})
    stub_client.d1.batch("ns", ["SELECT 1", ("SELECT ?", [2]), {"sql": "SELECT ?", "params": [3]}])
    assert stub.requests[-1].json() == {"statements": [
        {"sql": "SELECT 1", "params": []},
        {"sql": "SELECT ?", "params": [2]},
        {"sql": "SELECT ?", "params": [3]},
    ]}


# ------------------------------------------------------------------ error mapping


def test_error_message_keeps_legacy_wording_and_fields(stub, stub_client) -> None:
    stub.reply(400, {"error": "Key required", "code": "KV_KEY_REQUIRED"})
    with pytest.raises(StorageError) as info:
        stub_client.kv.set("ns", "k", "v")
    err = info.value
    assert str(err) == "KV set failed: Key required"
    assert (err.status, err.code, err.error) == (400, "KV_KEY_REQUIRED", "Key required")
    assert isinstance(err, Exception)


def test_error_details_are_exposed_and_appended(stub, stub_client) -> None:
    stub.reply(500, {"error": "D1 query failed", "details": "D1_ERROR: no such table: nope"})
    with pytest.raises(StorageError) as info:
        stub_client.d1.query("ns", "SELECT * FROM nope")
    assert str(info.value) == "D1 query failed: D1 query failed (D1_ERROR: no such table: nope)"
    assert info.value.details == "D1_ERROR: no such table: nope"


@pytest.mark.parametrize(
    "status, cls",
    [(404, NotFoundError), (412, PreconditionFailedError), (416, RangeNotSatisfiableError),
     (429, RateLimitedError), (500, StorageError), (400, StorageError)],
)
def test_status_maps_to_error_class(stub, status, cls) -> None:
    client = Client(stub.url, token="", location="", retries=0)
    stub.reply(status, {"error": "boom", "code": "X"}, {"Retry-After": "3"})
    with pytest.raises(cls) as info:
        client.kv.delete("ns", "k")
    assert info.value.status == status
    assert str(info.value) == "KV delete failed: boom"
    if cls is RateLimitedError:
        assert info.value.retry_after == 3.0


def test_non_json_error_body_still_raises_storage_error(stub, stub_client) -> None:
    stub.reply(404, "Not found", {"Content-Type": "text/plain"})
    with pytest.raises(NotFoundError) as info:
        stub_client.resources.stats()
    assert str(info.value) == "Resources stats failed: Not found"


# ------------------------------------------------------------------ retries


def test_reads_retry_on_503_then_succeed(stub) -> None:
    client = Client(stub.url, token="", location="", retries=2, backoff=0.001)
    stub.reply(503, {"error": "busy"})
    stub.reply(429, {"error": "slow down"}, {"Retry-After": "0"})
    stub.reply(200, {"value": "ok"})
    assert client.kv.get("ns", "k") == "ok"
    assert [r.method for r in stub.requests] == ["GET", "GET", "GET"]


def test_read_retries_are_bounded(stub) -> None:
    client = Client(stub.url, token="", location="", retries=2, backoff=0.001)
    for _ in range(5):
        stub.reply(503, {"error": "busy"})
    with pytest.raises(StorageError) as info:
        client.kv.get("ns", "k")
    assert info.value.status == 503
    assert len(stub.requests) == 3


def test_writes_are_not_retried_by_default(stub) -> None:
    client = Client(stub.url, token="", location="", retries=3, backoff=0.001)
    stub.reply(503, {"error": "busy"})
    with pytest.raises(StorageError):
        client.kv.set("ns", "k", "v")
    assert len(stub.requests) == 1


def test_writes_retry_when_asked(stub) -> None:
    client = Client(stub.url, token="", location="", retries=3, backoff=0.001, retry_writes=True)
    stub.reply(503, {"error": "busy"})
    assert client.kv.set("ns", "k", "v") is True
    assert len(stub.requests) == 2
    one_off = Client(stub.url, token="", location="", retries=3, backoff=0.001)
    stub.reply(503, {"error": "busy"})
    assert one_off.kv.set("ns", "k", "v", retry=True) is True


def test_stream_upload_is_rewound_on_retry(stub) -> None:
    client = Client(stub.url, token="", location="", retries=2, backoff=0.001)
    stub.reply(503, {"error": "busy"})
    stub.reply(200, {"key": "k", "size": 5, "etag": "e"})
    obj = client.r2.put_object("b", "k", io.BytesIO(b"hello"), retry=True)
    assert obj.size == 5
    assert [r.body for r in stub.requests] == [b"hello", b"hello"]
    assert stub.requests[-1].headers["Content-Length"] == "5"


def test_connection_refused_raises_after_bounded_retries() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    client = Client(url, token="", retries=2, backoff=0.001)
    with pytest.raises(StorageConnectionError) as info:
        client.kv.set("ns", "k", "v")  # refused = nothing sent, so even writes may retry
    assert info.value.code == "CONNECTION_FAILED"
    assert info.value.status is None
    message = str(info.value)
    assert message.startswith(f"KV set failed: cannot reach {url} (")
    assert "era-emu up" in message and "ERA_STORAGE_URL" in message  # says how to fix it


def test_default_url_is_where_era_emu_up_listens(monkeypatch) -> None:
    monkeypatch.delenv("ERA_STORAGE_URL", raising=False)
    assert Client(token="")._base_url() == "http://127.0.0.1:8787"
    monkeypatch.setenv("ERA_STORAGE_URL", "http://127.0.0.1:9/")
    assert Client(token="")._base_url() == "http://127.0.0.1:9"


def test_timeout_raises_timeout_error(stub) -> None:
    import threading

    release = threading.Event()

    def slow(_rec):
        release.wait(5)
        return (200, {}, b"{}")

    stub.reply_with(slow)
    client = Client(stub.url, token="", location="", timeout=0.2, retries=0)
    try:
        with pytest.raises(StorageConnectionError) as info:
            client.kv.set("ns", "k", "v")
        assert info.value.code == "TIMEOUT"
    finally:
        release.set()


# ------------------------------------------------------------------ binary route


def test_put_object_headers(stub, stub_client) -> None:
    stub.reply(200, {"key": "a b", "size": 2, "etag": "abc", "httpEtag": '"abc"',
                     "uploaded": "2026-01-01T00:00:00.000Z", "version": "v1"})
    obj = stub_client.r2.put_object("bkt", "a b", b"hi", content_type="text/plain",
                                    metadata={"owner": "ada", "note": "café"},
                                    http_metadata={"cacheControl": "no-cache"},
                                    if_none_match="*")
    req = stub.requests[-1]
    assert req.path == "/api/r2/bkt/a%20b"
    assert req.body == b"hi"
    assert req.headers["Content-Type"] == "text/plain"
    assert req.headers["If-None-Match"] == "*"
    assert req.headers["Cache-Control"] == "no-cache"
    assert req.headers["X-Era-Meta-owner"] == "ada"
    assert (obj.etag, obj.http_etag, obj.version, obj.uploaded.year) == ("abc", '"abc"', "v1", 2026)


def test_conditional_and_range_headers(stub, stub_client) -> None:
    stub.reply(206, b"bc", {"ETag": '"e1"', "Content-Range": "bytes 1-2/10",
                            "Last-Modified": "Wed, 01 Jan 2026 00:00:00 GMT",
                            "X-Era-Meta-owner": "ada", "Content-Type": "text/plain"})
    obj = stub_client.r2.get_object("b", "k", range={"offset": 1, "length": 2}, if_match="e1",
                                    if_modified_since=0)
    req = stub.requests[-1]
    assert req.headers["Range"] == "bytes=1-2"
    assert req.headers["If-Match"] == '"e1"'
    assert req.headers["If-Modified-Since"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert (obj.status, obj.body, obj.range, obj.size) == (206, b"bc", (1, 2), 10)
    assert obj.custom_metadata == {"owner": "ada"}
    assert obj.content_type == "text/plain"


def test_304_returns_bodyless_object(stub, stub_client) -> None:
    stub.reply(304, b"", {"ETag": '"e1"'})
    obj = stub_client.r2.get_object("b", "k", if_none_match="e1")
    assert obj is not None and obj.not_modified and obj.body is None


def test_sign_url_body(stub, stub_client) -> None:
    stub.reply(200, {"url": "http://x/signed", "expires_at": "2026-01-01T00:00:00Z"})
    out = stub_client.r2.sign_url("b", "k", "put", expires_in=60, one_time=True,
                                  content_type="image/png", max_bytes=10)
    assert out["url"] == "http://x/signed"
    assert stub.requests[-1].path == "/api/signed-urls"
    assert stub.requests[-1].json() == {"bucket": "b", "key": "k", "method": "PUT", "expiresIn": 60,
                                        "oneTime": True, "contentType": "image/png", "maxBytes": 10}


def test_list_all_follows_cursors_and_tolerates_empty_pages(stub, stub_client) -> None:
    stub.reply(200, {"keys": [{"name": "a"}], "list_complete": False, "cursor": "c1"})
    stub.reply(200, {"keys": [], "list_complete": False, "cursor": "c2"})
    stub.reply(200, {"keys": [{"name": "b"}], "list_complete": True})
    assert [k["name"] for k in stub_client.kv.list_all("ns", "p")] == ["a", "b"]
    assert [r.path for r in stub.requests] == [
        "/api/storage/kv/ns?prefix=p&limit=1000",
        "/api/storage/kv/ns?prefix=p&limit=1000&cursor=c1",
        "/api/storage/kv/ns?prefix=p&limit=1000&cursor=c2",
    ]


def test_list_all_refuses_to_loop_on_a_stuck_cursor(stub, stub_client) -> None:
    stub.reply(200, {"keys": [{"name": "a"}], "list_complete": False, "cursor": "same"})
    stub.reply(200, {"keys": [{"name": "a"}], "list_complete": False, "cursor": "same"})
    with pytest.raises(StorageError):
        list(stub_client.kv.list_all("ns"))
    assert len(stub.requests) == 2
