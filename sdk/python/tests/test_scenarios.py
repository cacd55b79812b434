"""The usage scenarios of the original ERA storage SDK documentation, as integration tests
against a real era-emu.  They use only the legacy module-level surface
(``era_storage.kv/d1/r2``) unless the scenario is about a newer feature, and assert
results, not just the absence of exceptions."""

from __future__ import annotations

import json
import time

import pytest

import era_storage
from conftest import closed_port

pytestmark = pytest.mark.usefixtures("era_emu")


def test_user_profiles_and_settings(ns: str) -> None:
    profile = {"name": "Alice", "email": "alice@example.com",
               "preferences": {"theme": "dark", "notifications": True}}
    assert era_storage.kv.set(ns, "user:alice", json.dumps(profile)) is True
    assert era_storage.kv.set(ns, "user:bob", json.dumps({"name": "Bob"}), {"plan": "pro"}) is True
    assert era_storage.kv.set(ns, "settings:alice", json.dumps({"lang": "en"})) is True

    assert json.loads(era_storage.kv.get(ns, "user:alice")) == profile

    # update one preference, read it back
    profile["preferences"]["theme"] = "light"
    era_storage.kv.set(ns, "user:alice", json.dumps(profile))
    assert json.loads(era_storage.kv.get(ns, "user:alice"))["preferences"]["theme"] == "light"

    users = era_storage.kv.list(ns, prefix="user:")
    assert sorted(k["name"] for k in users) == ["user:alice", "user:bob"]
    assert {k["name"]: k.get("metadata") for k in users}["user:bob"] == {"plan": "pro"}
    assert era_storage.kv.get(ns, "user:nobody") is None


def test_todo_app(ns: str) -> None:
    d1 = era_storage.d1
    d1.exec(ns, """CREATE TABLE IF NOT EXISTS todos (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     title TEXT NOT NULL,
                     completed INTEGER DEFAULT 0,
                     created_at TEXT DEFAULT CURRENT_TIMESTAMP)""")
    ids = []
    for title in ["Buy milk", "Write tests", "Ship it"]:
        res = d1.exec(ns, "INSERT INTO todos (title) VALUES (?)", [title])
        assert res["success"] is True
        assert res["meta"]["changes"] == 1
        ids.append(res["meta"]["last_row_id"])
    assert ids == sorted(ids) and len(set(ids)) == 3

    upd = d1.exec(ns, "UPDATE todos SET completed = 1 WHERE id = ?", [ids[1]])
    assert upd["meta"]["changes"] == 1

    todos = d1.query(ns, "SELECT id, title, completed FROM todos ORDER BY id")
    assert [(t["title"], t["completed"]) for t in todos] == [
        ("Buy milk", 0), ("Write tests", 1), ("Ship it", 0)]
    pending = d1.query(ns, "SELECT title FROM todos WHERE completed = ? ORDER BY id", [0])
    assert [t["title"] for t in pending] == ["Buy milk", "Ship it"]

    assert d1.exec(ns, "DELETE FROM todos WHERE completed = 1")["meta"]["changes"] == 1
    assert d1.query(ns, "SELECT COUNT(*) AS n FROM todos") == [{"n": 2}]


def test_file_upload_and_management(ns: str) -> None:
    r2 = era_storage.r2
    doc = b"%PDF-1.4 fake pdf \x00\x01\x02"
    image = bytes(range(256)) * 40
    assert r2.put(ns, "documents/report.pdf", doc, {"author": "alice", "type": "pdf"}) is True
    assert r2.put(ns, "images/logo.png", image, {"type": "png"}) is True
    assert r2.put(ns, "images/banner.png", image[:100]) is True

    assert r2.get(ns, "documents/report.pdf") == doc
    assert r2.get(ns, "images/logo.png") == image

    images = r2.list(ns, prefix="images/")
    assert sorted((o["key"], o["size"]) for o in images) == [
        ("images/banner.png", 100), ("images/logo.png", len(image))]
    assert all("uploaded" in o for o in images)
    assert {o["key"] for o in r2.list(ns)} == {"documents/report.pdf", "images/logo.png",
                                               "images/banner.png"}

    head = r2.head(ns, "documents/report.pdf")
    assert head is not None and head.size == len(doc)
    assert head.custom_metadata == {"author": "alice", "type": "pdf"}

    assert r2.delete(ns, "images/banner.png") is True
    assert r2.get(ns, "images/banner.png") is None
    assert [o["key"] for o in r2.list(ns, prefix="images/")] == ["images/logo.png"]


def test_caching_with_kv(era_emu, ns: str) -> None:
    calls = []

    def expensive(user_id: str) -> dict:
        calls.append(user_id)
        return {"user": user_id, "score": 42}

    def cached(user_id: str) -> dict:
        hit = era_storage.kv.get(ns, f"cache:{user_id}")
        if hit is not None:
            return json.loads(hit)
        value = expensive(user_id)
        era_storage.kv.set(ns, f"cache:{user_id}", json.dumps(value), ttl=300)
        return value

    assert cached("u1") == {"user": "u1", "score": 42}
    assert cached("u1") == {"user": "u1", "score": 42}
    assert calls == ["u1"]

    entry = era_storage.kv.get_with_metadata(ns, "cache:u1")
    assert entry is not None and entry["expiration"] is not None
    assert entry["expiration"] >= int(time.time()) + 250  # absolute, ~now + 300

    era_emu.advance(301_000)  # virtual clock: the cache entry expires
    assert era_storage.kv.get(ns, "cache:u1") is None
    assert cached("u1")["score"] == 42
    assert calls == ["u1", "u1"]

    # explicit invalidation
    era_storage.kv.delete(ns, "cache:u1")
    cached("u1")
    assert calls == ["u1", "u1", "u1"]


def test_multi_app_services(ns: str) -> None:
    app_a, app_b = f"{ns}-shop", f"{ns}-blog"
    era_storage.kv.set(app_a, "config", json.dumps({"currency": "EUR"}))
    era_storage.kv.set(app_b, "config", json.dumps({"theme": "minimal"}))
    era_storage.d1.exec(app_a, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
    era_storage.d1.exec(app_b, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, slug TEXT)")
    era_storage.d1.exec(app_a, "INSERT INTO items (name) VALUES (?)", ["widget"])
    era_storage.d1.exec(app_b, "INSERT INTO items (slug) VALUES (?)", ["hello-world"])
    era_storage.r2.put(app_a, "assets/logo.txt", b"shop logo")
    era_storage.r2.put(app_b, "assets/logo.txt", b"blog logo")

    assert json.loads(era_storage.kv.get(app_a, "config")) == {"currency": "EUR"}
    assert json.loads(era_storage.kv.get(app_b, "config")) == {"theme": "minimal"}
    assert era_storage.d1.query(app_a, "SELECT name FROM items") == [{"name": "widget"}]
    assert era_storage.d1.query(app_b, "SELECT slug FROM items") == [{"slug": "hello-world"}]
    assert era_storage.r2.get(app_a, "assets/logo.txt") == b"shop logo"
    assert era_storage.r2.get(app_b, "assets/logo.txt") == b"blog logo"


def test_complete_blog_system(ns: str) -> None:
    d1, kv, r2 = era_storage.d1, era_storage.kv, era_storage.r2
    d1.exec(ns, """CREATE TABLE IF NOT EXISTS posts (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     title TEXT NOT NULL, slug TEXT UNIQUE NOT NULL, body TEXT,
                     author TEXT, published INTEGER DEFAULT 0,
                     created_at TEXT DEFAULT CURRENT_TIMESTAMP)""")
    d1.exec(ns, """CREATE TABLE IF NOT EXISTS comments (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     post_id INTEGER NOT NULL REFERENCES posts(id),
                     author TEXT, body TEXT,
                     created_at TEXT DEFAULT CURRENT_TIMESTAMP)""")
    # running the schema twice must be harmless (the original proxy broke on IF NOT EXISTS)
    d1.exec(ns, "CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY)")

    post_ids = {}
    for slug, title, published in [("hello", "Hello World", 1), ("draft", "Draft", 0),
                                    ("second", "Second Post", 1)]:
        res = d1.exec(ns, "INSERT INTO posts (title, slug, body, author, published) VALUES (?, ?, ?, ?, ?)",
                      [title, slug, f"Body of {title}", "alice", published])
        post_ids[slug] = res["meta"]["last_row_id"]
    for author, body in [("bob", "Nice!"), ("carol", "Thanks"), ("dave", "+1")]:
        d1.exec(ns, "INSERT INTO comments (post_id, author, body) VALUES (?, ?, ?)",
                [post_ids["hello"], author, body])
    d1.exec(ns, "INSERT INTO comments (post_id, author, body) VALUES (?, ?, ?)",
            [post_ids["second"], "erin", "Great"])

    published = d1.query(ns, """SELECT p.slug, COUNT(c.id) AS comments
                                FROM posts p LEFT JOIN comments c ON c.post_id = p.id
                                WHERE p.published = 1 GROUP BY p.id ORDER BY p.id""")
    assert published == [{"slug": "hello", "comments": 3}, {"slug": "second", "comments": 1}]

    thread = d1.query(ns, "SELECT author FROM comments WHERE post_id = ? ORDER BY id", [post_ids["hello"]])
    assert [c["author"] for c in thread] == ["bob", "carol", "dave"]

    # view counters in KV, cover images in R2
    for _ in range(3):
        views = int(kv.get(ns, "views:hello") or 0)
        kv.set(ns, "views:hello", str(views + 1))
    assert kv.get(ns, "views:hello") == "3"
    r2.put(ns, "covers/hello.jpg", b"\xff\xd8\xff fake jpeg", {"post": "hello"})
    assert r2.get(ns, "covers/hello.jpg") == b"\xff\xd8\xff fake jpeg"

    # publish the draft, delete a post with its comments
    assert d1.exec(ns, "UPDATE posts SET published = 1 WHERE slug = ?", ["draft"])["meta"]["changes"] == 1
    d1.exec(ns, "DELETE FROM comments WHERE post_id = ?", [post_ids["second"]])
    d1.exec(ns, "DELETE FROM posts WHERE id = ?", [post_ids["second"]])
    assert [p["slug"] for p in d1.query(ns, "SELECT slug FROM posts WHERE published = 1 ORDER BY id")] == [
        "hello", "draft"]
    assert d1.query(ns, "SELECT COUNT(*) AS n FROM comments") == [{"n": 3}]


def test_resource_discovery(ns: str) -> None:
    era_storage.kv.set(ns, "cfg:a", "12345")
    era_storage.kv.set(ns, "cfg:b", "x")
    era_storage.r2.put(ns, "files/one.bin", b"0123456789")
    era_storage.d1.exec(ns, "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY)")

    listing = era_storage.resources.list(namespace=ns)
    found = {(r["type"], r["key"]) for r in listing["resources"]}
    assert {("kv", "cfg:a"), ("kv", "cfg:b"), ("r2", "files/one.bin")} <= found
    assert any(t == "d1" and "events" in key for t, key in found)
    assert listing["total"] == len(listing["resources"])
    assert listing["has_more"] is False
    for r in listing["resources"]:
        assert r["namespace"] == ns
        assert r["created_at"] and r["updated_at"]
    sizes = {r["key"]: r.get("size") for r in listing["resources"]}
    assert sizes["cfg:a"] == 5 and sizes["files/one.bin"] == 10

    kv_only = era_storage.resources.list(type="kv", namespace=ns, key_prefix="cfg:")
    assert sorted(r["key"] for r in kv_only["resources"]) == ["cfg:a", "cfg:b"]

    paged = era_storage.resources.list(namespace=ns, limit=1, offset=0)
    assert len(paged["resources"]) == 1 and paged["has_more"] is True
    assert len(list(era_storage.resources.list_all(namespace=ns, page_size=1))) == listing["total"]

    stats = era_storage.resources.stats()
    assert stats["by_namespace"][ns] == listing["total"]
    assert stats["total"] >= listing["total"]
    assert stats["by_type"]["kv"] >= 2 and stats["by_type"]["r2"] >= 1
    assert stats["total_size"] >= 16

    era_storage.kv.delete(ns, "cfg:b")
    after = era_storage.resources.list(type="kv", namespace=ns)
    assert [r["key"] for r in after["resources"]] == ["cfg:a"]


def test_namespacing_isolates_data(ns: str) -> None:
    a, b = f"{ns}a", f"{ns}b"
    era_storage.kv.set(a, "shared-key", "from a")
    era_storage.kv.set(b, "shared-key", "from b")
    assert era_storage.kv.get(a, "shared-key") == "from a"
    assert era_storage.kv.get(b, "shared-key") == "from b"
    assert [k["name"] for k in era_storage.kv.list(a)] == ["shared-key"]

    era_storage.kv.delete(a, "shared-key")
    assert era_storage.kv.get(a, "shared-key") is None
    assert era_storage.kv.get(b, "shared-key") == "from b"

    era_storage.r2.put(a, "f", b"A")
    assert era_storage.r2.get(b, "f") is None
    assert era_storage.r2.list(b) == []

    era_storage.d1.exec(a, "CREATE TABLE IF NOT EXISTS t (v TEXT)")
    era_storage.d1.exec(a, "INSERT INTO t VALUES ('secret')")
    with pytest.raises(era_storage.StorageError) as info:
        era_storage.d1.query(b, "SELECT * FROM t")
    assert str(info.value).startswith("D1 query failed: ")
    assert "no such table" in str(info.value.details or info.value)


def test_error_handling(ns: str) -> None:
    # missing things are None, not errors
    assert era_storage.kv.get(ns, "nope") is None
    assert era_storage.r2.get(ns, "nope") is None
    assert era_storage.r2.head(ns, "nope") is None
    assert era_storage.kv.delete(ns, "nope") is True

    # bad SQL: legacy wording, details carry the SQLite error
    with pytest.raises(Exception) as info:
        era_storage.d1.query(ns, "SELEC broken")
    assert str(info.value).startswith("D1 query failed: D1 query failed")
    assert isinstance(info.value, era_storage.StorageError)
    assert info.value.status is not None and 400 <= info.value.status < 600
    assert "syntax error" in str(info.value.details)

    with pytest.raises(era_storage.StorageError) as info:
        era_storage.d1.exec(ns, "INSERT INTO missing_table VALUES (1)")
    assert str(info.value).startswith("D1 exec failed: ")

    # KV limits surface as errors with a code
    with pytest.raises(era_storage.StorageError) as info:
        era_storage.kv.set(ns, "k" * 600, "v")
    assert str(info.value).startswith("KV set failed: ")
    assert info.value.status is not None and 400 <= info.value.status < 500

    # unreachable server
    client = era_storage.Client(f"http://127.0.0.1:{closed_port()}", retries=1, backoff=0.001)
    with pytest.raises(era_storage.StorageConnectionError):
        client.kv.get(ns, "k")

    # the typical "except Exception" pattern from the original docs still works
    try:
        era_storage.d1.query(ns, "SELECT * FROM nowhere")
        outcome = "no error"
    except Exception as exc:  # noqa: BLE001
        outcome = str(exc)
    assert outcome.startswith("D1 query failed:")


def test_cleanup_of_old_sessions(era_emu, ns: str) -> None:
    now = 1_700_000_000
    # sessions tagged with their creation time in metadata
    for i, age_h in enumerate([1, 30, 50, 2, 72]):
        era_storage.kv.set(ns, f"session:{i}", json.dumps({"user": f"u{i}"}),
                           {"created_at": now - age_h * 3600})
    cutoff = now - 24 * 3600
    removed = 0
    for entry in era_storage.kv.list_all(ns, prefix="session:"):
        if entry["metadata"]["created_at"] < cutoff:
            assert era_storage.kv.delete(ns, entry["name"]) is True
            removed += 1
    assert removed == 3
    assert sorted(k["name"] for k in era_storage.kv.list(ns, prefix="session:")) == [
        "session:0", "session:3"]

    # sessions written with a TTL disappear on their own once the clock moves on
    era_storage.kv.set(ns, "session:ttl", "{}", ttl=3600)
    assert era_storage.kv.get(ns, "session:ttl") == "{}"
    era_emu.advance(3_601_000)
    assert era_storage.kv.get(ns, "session:ttl") is None
    assert "session:ttl" not in {k["name"] for k in era_storage.kv.list(ns, prefix="session:")}
