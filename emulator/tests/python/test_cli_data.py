"""The data verbs a person types: `era-emu r2 put/get` stream files in constant memory (a progress
bar on a terminal, a content type from the extension), `era-emu d1 query` shows SQLite's message,
keeps the SELECT's column order and reads SQL from --file or stdin."""
import os
import pty
import subprocess

import pytest

from emu_harness import BIN, Emu


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    e = Emu("--data", str(tmp_path_factory.mktemp("cli-data")))
    yield e
    e.stop()


def cli(emu, *args, stdin=None, check=True):
    r = subprocess.run([BIN, *args, "--url", emu.url], capture_output=True, input=stdin, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr.decode()
    return r


def run_measured(argv):
    """Runs argv; returns (exit status, stderr text, peak RSS in MiB of that child alone)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err, usage.ru_maxrss / 1024


def test_r2_put_and_get_a_gibibyte_in_constant_memory(emu, tmp_path):
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:  # 1 GiB, mostly a hole, with real bytes at both ends
        f.write(os.urandom(1 << 20))
        f.truncate(1 << 30)
        f.seek(-(1 << 20), os.SEEK_END)
        f.write(os.urandom(1 << 20))
    # Constant memory means independent of the file's size: the 1 GiB transfer may peak at most
    # 32 MiB above the same command moving 1 MiB (the baseline: binary, libraries, allocator).
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(1 << 20))
    rc, err, base_put = run_measured([BIN, "r2", "put", "files", "small.bin", str(small), "--url", emu.url])
    assert rc == 0, err
    rc, err, rss = run_measured([BIN, "r2", "put", "files", "big.bin", str(src), "--url", emu.url])
    assert rc == 0, err
    assert rss < base_put + 32, f"r2 put of 1 GiB peaked at {rss:.1f} MiB (1 MiB: {base_put:.1f} MiB)"
    dst = tmp_path / "copy.bin"
    rc, err, base_get = run_measured([BIN, "r2", "get", "files", "small.bin", "-o", str(tmp_path / "s.out"), "--url", emu.url])
    assert rc == 0, err
    rc, err, rss = run_measured([BIN, "r2", "get", "files", "big.bin", "-o", str(dst), "--url", emu.url])
    assert rc == 0, err
    assert rss < base_get + 32, f"r2 get of 1 GiB peaked at {rss:.1f} MiB (1 MiB: {base_get:.1f} MiB)"
    assert dst.stat().st_size == 1 << 30
    with open(src, "rb") as a, open(dst, "rb") as b:
        for offset in (0, (1 << 30) - (1 << 20)):
            a.seek(offset)
            b.seek(offset)
            assert a.read(1 << 20) == b.read(1 << 20)
    dst.unlink()


def test_r2_put_guesses_the_content_type_and_keeps_metadata(emu, tmp_path):
    (tmp_path / "logo.PNG").write_bytes(b"\x89PNG fake")
    (tmp_path / "notes").write_bytes(b"no extension")
    out = cli(emu, "r2", "put", "files", "img/logo.png", str(tmp_path / "logo.PNG"), "-m", '{"owner":"ada"}').stdout
    assert b"image/png" in out
    cli(emu, "r2", "put", "files", "notes", str(tmp_path / "notes"))
    cli(emu, "r2", "put", "files", "forced", str(tmp_path / "notes"), "--content-type", "text/x-note")
    got = {k: emu.json("GET", f"/_emu/inspect/r2/files/{k}")[1] for k in ("img/logo.png", "notes", "forced")}
    assert got["img/logo.png"]["contentType"] == "image/png"
    assert got["img/logo.png"]["customMetadata"] == {"owner": "ada"}
    assert got["notes"]["contentType"] == "application/octet-stream"
    assert got["forced"]["contentType"] == "text/x-note"
    # stdin in, stdout out
    cli(emu, "r2", "put", "files", "piped.txt", "-", stdin=b"from a pipe")
    assert cli(emu, "r2", "get", "files", "piped.txt").stdout == b"from a pipe"


def test_r2_get_of_a_missing_object_fails_and_leaves_no_file(emu, tmp_path):
    dst = tmp_path / "never.bin"
    r = cli(emu, "r2", "get", "files", "missing", "-o", str(dst), check=False)
    assert r.returncode == 1
    assert b"R2_OBJECT_NOT_FOUND" in r.stderr
    assert list(tmp_path.iterdir()) == []
    r = cli(emu, "r2", "put", "files", "x", str(tmp_path / "nope.bin"), check=False)
    assert r.returncode == 2 and b"cannot read" in r.stderr


def test_r2_progress_bar_only_on_a_terminal(emu, tmp_path):
    src = tmp_path / "p.bin"
    src.write_bytes(os.urandom(8 << 20))
    # stderr a pipe (scripts, CI logs): nothing but the result
    r = cli(emu, "r2", "put", "files", "p.bin", str(src))
    assert b"%" not in r.stderr
    # stderr a terminal: a bar that ends at 100 %
    leader, follower = pty.openpty()
    proc = subprocess.Popen([BIN, "r2", "put", "files", "p.bin", str(src), "--url", emu.url],
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    assert b"100%" in seen and b"8.0 MiB / 8.0 MiB" in seen, seen


def test_d1_query_prints_sqlite_message_and_keeps_column_order(emu, tmp_path):
    cli(emu, "d1", "query", "cli", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); "
                                   "INSERT INTO users (name) VALUES ('ada'), ('bob')")
    out = cli(emu, "d1", "query", "cli", "SELECT name, id FROM users ORDER BY id").stdout.decode()
    header = out.splitlines()[0].split("|")
    assert [h.strip() for h in header] == ["name", "id"]
    r = cli(emu, "d1", "query", "cli", "SELEC nonsense", check=False)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "D1_SQL_ERROR" in err and 'near "SELEC": syntax error' in err


def test_d1_query_reads_sql_from_a_file_or_stdin(emu, tmp_path):
    sql = tmp_path / "0001.sql"
    sql.write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
                   "INSERT INTO notes (body) VALUES ('one'), ('two');\n")
    cli(emu, "d1", "query", "files", "--file", str(sql))
    out = cli(emu, "d1", "query", "files", "-", stdin=b"SELECT count(*) AS n FROM notes").stdout.decode()
    assert out.splitlines()[2].strip() == "2"
    r = cli(emu, "d1", "query", "files", "-", stdin=b"  \n", check=False)
    assert r.returncode == 2 and b"no SQL given" in r.stderr


def test_usage_errors_exit_2(emu):
    for args in (["kv"], ["r2", "put", "only-bucket"], ["d1", "query"], ["bogus"]):
        r = subprocess.run([BIN, *args], capture_output=True, timeout=30)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
    r = subprocess.run([BIN, "kv", "get", "app", "k", "--url", "http://127.0.0.1:9"], capture_output=True, timeout=30)
    assert r.returncode == 3
    assert b"cannot reach http://127.0.0.1:9" in r.stderr and b"era-emu up" in r.stderr
