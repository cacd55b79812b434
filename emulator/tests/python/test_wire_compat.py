"""The original ERA wire format, byte for byte: what era_storage.py / era_storage.js send and
expect (shared/spec/era-wire-protocol.md §2-§4, §6)."""
import base64
import json


def test_kv_round_trip_in_the_original_shapes(emu):
    status, body, headers = emu.request("PUT", "/api/storage/kv/app1/user:123",
                                        {"value": "{\"name\": \"Alice\"}", "metadata": None})
    assert (status, json.loads(body)) == (200, {"success": True})
    assert headers["Content-Type"].startswith("application/json")
    assert emu.json("GET", "/api/storage/kv/app1/user:123") == (200, {"value": "{\"name\": \"Alice\"}"})
    emu.request("PUT", "/api/storage/kv/app1/user:456", {"value": "b", "metadata": {"role": "admin"}})
    status, listing = emu.json("GET", "/api/storage/kv/app1?prefix=user:&limit=100")
    assert status == 200
    assert listing["keys"] == [{"name": "user:123"}, {"name": "user:456", "metadata": {"role": "admin"}}]
    assert listing["list_complete"] is True and "cursor" not in listing
    assert emu.json("DELETE", "/api/storage/kv/app1/user:123") == (200, {"success": True})
    assert emu.json("DELETE", "/api/storage/kv/app1/never-existed") == (200, {"success": True})
    status, miss = emu.json("GET", "/api/storage/kv/app1/user:123")
    assert status == 404 and miss["error"] == "Key not found"


def test_kv_namespaces_do_not_collide_on_colons(emu):
    emu.request("PUT", "/api/storage/kv/a/b:c", {"value": "first"})
    emu.request("PUT", "/api/storage/kv/ab/c", {"value": "second"})
    assert emu.json("GET", "/api/storage/kv/a/b:c")[1] == {"value": "first"}
    assert emu.json("GET", "/api/storage/kv/ab/c")[1] == {"value": "second"}


def test_d1_blog_example_from_the_sdk_docs(emu):
    status, created = emu.json("POST", "/api/storage/d1/blog/exec", {
        "sql": "CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY AUTOINCREMENT, "
               "title TEXT NOT NULL, body TEXT, views INTEGER DEFAULT 0, created_at TEXT)",
        "params": []})
    assert status == 200 and created["success"] is True and "meta" in created
    status, ins = emu.json("POST", "/api/storage/d1/blog/exec",
                           {"sql": "INSERT INTO posts (title, body) VALUES (?, ?)",
                            "params": ["Hello", "World"]})
    assert status == 200 and ins["meta"]["changes"] == 1 and ins["meta"]["last_row_id"] == 1
    status, rows = emu.json("POST", "/api/storage/d1/blog/query",
                            {"sql": "SELECT id, title, body, views FROM posts WHERE id = ?", "params": [1]})
    assert status == 200 and rows["success"] is True
    assert rows["results"] == [{"id": 1, "title": "Hello", "body": "World", "views": 0}]
    # the bare namespace path is a query, as in the original
    status, bare = emu.json("POST", "/api/storage/d1/blog", {"sql": "SELECT COUNT(*) AS n FROM posts"})
    assert status == 200 and bare["results"] == [{"n": 1}]


def test_d1_errors_keep_the_original_error_string(emu):
    status, err = emu.json("POST", "/api/storage/d1/blog/query", {"sql": "SELECT * FROM missing_table"})
    assert 400 <= status < 500
    assert err["error"] == "D1 query failed"
    assert err["details"].startswith("D1_ERROR: no such table: missing_table")
    status, err = emu.json("POST", "/api/storage/d1/blog/frobnicate", {"sql": "SELECT 1"})
    assert status == 400 and err["error"] == "Invalid operation"


def test_r2_json_route_round_trips_every_byte_value(emu):
    payload = bytes(range(256)) * 4
    status, put = emu.json("PUT", "/api/storage/r2/files/docs/a%20b.bin",
                           {"content": base64.b64encode(payload).decode(), "metadata": {"owner": "alice"}})
    assert status == 200 and put["success"] is True and put["size"] == len(payload)
    status, got = emu.json("GET", "/api/storage/r2/files/docs/a%20b.bin")
    assert status == 200
    assert base64.b64decode(got["content"]) == payload
    assert got["size"] == len(payload)
    assert got["customMetadata"] == {"owner": "alice"}
    assert isinstance(got["httpMetadata"], dict)
    status, listing = emu.json("GET", "/api/storage/r2/files?prefix=docs/&limit=100")
    assert status == 200 and listing["truncated"] is False
    assert [(o["key"], o["size"]) for o in listing["objects"]] == [("docs/a b.bin", len(payload))]
    assert listing["objects"][0]["uploaded"].endswith("Z")
    assert emu.json("DELETE", "/api/storage/r2/files/docs/a%20b.bin") == (200, {"success": True})
    status, miss = emu.json("GET", "/api/storage/r2/files/docs/a%20b.bin")
    assert status == 404 and miss["error"] == "Object not found"


def test_legacy_path_errors(emu):
    status, err = emu.json("GET", "/api/storage/kv/app1/")
    assert status == 400 and err["error"] == "invalid storage path"
    assert err["format"] == "/api/storage/{kv|d1|r2}/{namespace}[/{key}]"
    status, err = emu.json("GET", "/api/storage/queue/app1/x")
    assert status == 400 and err["error"] == "invalid storage path"
    status, err = emu.json("PUT", "/api/storage/kv/app1", {"value": "x"})
    assert status == 400 and err["error"] == "Key required"
    status, err = emu.json("PATCH", "/api/storage/kv/app1/k", {"value": "x"})
    assert status == 405 and err["error"] == "Method not allowed"


def test_bad_input_is_a_4xx_json_error_and_changes_nothing(emu):
    emu.request("PUT", "/api/storage/kv/app/k", {"value": "original"})
    cases = [
        ("PUT", "/api/storage/kv/app/k", b"{not json", "INVALID_JSON"),
        ("PUT", "/api/storage/kv/app/k", b"{}", "INVALID_BODY"),
        ("PUT", "/api/storage/kv/app/k", b'{"value": {"a": 1}}', "KV_INVALID_VALUE"),
        ("PUT", "/api/storage/kv/app/k", b'{"value": 5}', "KV_INVALID_VALUE"),
        ("PUT", "/api/storage/kv/bad%20ns/k", b'{"value": "x"}', "INVALID_NAMESPACE"),
        ("PUT", "/api/storage/kv/app/" + "k" * 513, b'{"value": "x"}', "KV_KEY_TOO_LONG"),
        ("PUT", "/api/storage/r2/files/x", b'{"content": "***"}', "R2_INVALID_BASE64"),
        ("PUT", "/api/storage/r2/files/x", b'{}', "INVALID_BODY"),
        ("POST", "/api/storage/d1/db/query", b'{}', "D1_MISSING_SQL"),
        ("POST", "/api/storage/d1/db/query", b'[1,2]', "INVALID_BODY"),
        ("GET", "/nowhere", None, "NOT_FOUND"),
    ]
    for method, path, raw, code in cases:
        status, body, headers = emu.request(method, path, raw=raw,
                                            headers={"Content-Type": "application/json"})
        err = json.loads(body)
        assert 400 <= status < 500, (method, path, status, err)
        assert err["code"] == code, (method, path, err)
        assert err["error"], (method, path, err)
    assert emu.json("GET", "/api/storage/kv/app/k") == (200, {"value": "original"})


def test_resources_are_computed_from_stored_data(emu):
    emu.request("PUT", "/api/storage/kv/app/a", {"value": "12345"})
    emu.request("PUT", "/api/storage/r2/files/f", {"content": base64.b64encode(b"xyz").decode()})
    emu.request("POST", "/api/storage/d1/db/exec", {"sql": "CREATE TABLE t (x)"})
    status, listing = emu.json("GET", "/api/resources/list")
    assert status == 200
    found = {(r["type"], r["namespace"], r["key"]): r for r in listing["resources"]}
    assert found[("kv", "app", "a")]["size"] == 5
    assert found[("r2", "files", "f")]["size"] == 3
    assert ("d1", "db", "t") in found
    assert listing["total"] == 3 and listing["has_more"] is False
    status, stats = emu.json("GET", "/api/resources/stats")
    assert stats["total"] == 3 and stats["total_size"] == 8
    assert stats["by_type"] == {"kv": 1, "r2": 1, "d1": 1, "do": 0}
    emu.request("DELETE", "/api/storage/kv/app/a")
    status, stats = emu.json("GET", "/api/resources/stats")
    assert stats["by_type"]["kv"] == 0 and stats["total"] == 2
