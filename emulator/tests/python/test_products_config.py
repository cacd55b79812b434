"""era-emu up with a declared-products config: a bad file stops start-up with a clear message and
a non-zero exit; a good one is served at /_emu/config and --strict refuses undeclared names."""
import os
import subprocess

from emu_harness import BIN, Emu


def emu_started_in(directory, *args):
    """era-emu started with `directory` as its working directory (where it looks for config)."""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        return Emu(*args)
    finally:
        os.chdir(cwd)


def test_bad_config_stops_up_with_file_field_and_fix(tmp_path):
    cfg = tmp_path / "era-emu.json"
    cfg.write_text('{\n  // avatars\n  "buckets": [{"name": "avatars", "deleteAfterDay": 30, "maxObjectSize": 0}]\n}\n')
    p = subprocess.run([BIN, "up", "--memory", "--port", "0", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "ERA_STORAGE_URL" not in p.stdout
    assert f'{cfg}: buckets[0].deleteAfterDay: unknown field; did you mean "deleteAfterDays"?' in p.stderr
    assert f"{cfg}: buckets[0].maxObjectSize: must be a whole number of bytes >= 1" in p.stderr


def test_missing_config_file_is_named(tmp_path):
    p = subprocess.run([BIN, "up", "--memory", "--port", "0", "--config", str(tmp_path / "nope.json")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "nope.json: no such file" in p.stderr


def test_config_from_the_working_directory_and_strict(tmp_path):
    (tmp_path / "era-emu.json").write_text('{"kv": [{"name": "sessions", "ttlSeconds": 3600}]}')
    e = emu_started_in(tmp_path, "--memory", "--strict")
    try:
        status, cfg = e.json("GET", "/_emu/config")
        assert status == 200
        assert cfg["strict"] is True and cfg["source"] == str(tmp_path / "era-emu.json")
        assert cfg["kv"][0]["ttlSeconds"] == 3600
        status, _ = e.json("PUT", "/api/storage/kv/sessions/a", {"value": "v"})
        assert status == 200
        status, err = e.json("PUT", "/api/storage/kv/other/a", {"value": "v"})
        assert status == 404 and err["code"] == "NOT_DECLARED"
    finally:
        e.stop()


def test_wrangler_toml_in_the_working_directory(tmp_path):
    """No era-emu.json, a wrangler.toml: its bindings are the declarations, D1 migrations applied."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_init.sql").write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
    (tmp_path / "wrangler.toml").write_text(
        'name = "notes"\n'
        '[[kv_namespaces]]\nbinding = "KV"\nid = "notes-kv"\n'
        '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "notes-db"\ndatabase_id = "x"\n')
    e = emu_started_in(tmp_path, "--memory", "--strict")
    try:
        status, cfg = e.json("GET", "/_emu/config")
        assert status == 200
        assert cfg["source"] == str(tmp_path / "wrangler.toml") and cfg["wrangler"] == cfg["source"]
        assert [k["name"] for k in cfg["kv"]] == ["notes-kv"]
        status, out = e.json("POST", "/api/storage/d1/notes-db/query", {"sql": "SELECT name FROM d1_migrations"})
        assert status == 200 and "0001_init.sql" in str(out)
        status, err = e.json("PUT", "/api/storage/kv/other/a", {"value": "v"})
        assert status == 404 and err["code"] == "NOT_DECLARED"
    finally:
        e.stop()


def test_bad_wrangler_toml_names_the_line(tmp_path):
    cfg = tmp_path / "wrangler.toml"
    cfg.write_text('name = "w"\n[[kv_namespaces]]\nbinding = "KV\n')
    p = subprocess.run([BIN, "up", "--memory", "--port", "0", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert f"{cfg}:3: newline in a string" in p.stderr
