"""`era-emu exec [flags] -- CMD`: an emulator for exactly one command's lifetime, with the bundled
SDKs importable and ERA_STORAGE_URL set, and the command's exit status passed through."""
import os
import shutil
import subprocess
import textwrap

import pytest

from emu_harness import BIN


def run(*args, timeout=60, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("ERA_STORAGE_URL", "ERA_EMU_URL", "PYTHONPATH", "NODE_PATH")}
    return subprocess.run([BIN, "exec", *args], capture_output=True, text=True, timeout=timeout, env=env, **kw)


def test_python_program_imports_era_storage_with_no_setup(tmp_path):
    demo = tmp_path / "demo.py"
    demo.write_text(textwrap.dedent("""
        import os, era_storage
        era_storage.kv.put("app", "greeting", "hello")
        era_storage.d1.query("app", "CREATE TABLE t (x)")
        print(os.environ["ERA_STORAGE_URL"].startswith("http://127.0.0.1:"), era_storage.kv.get("app", "greeting"))
    """))
    r = run("--", "python3", str(demo))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True hello"


def test_node_program_requires_era_storage_with_no_setup(tmp_path):
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    demo = tmp_path / "demo.js"
    demo.write_text(textwrap.dedent("""
        const { KVStorage } = require('era_storage');
        (async () => {
          await KVStorage.put('app', 'k', 'from node');
          console.log(await KVStorage.get('app', 'k'));
        })().catch((e) => { console.error(e); process.exit(3); });
    """))
    r = run("--", "node", str(demo))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "from node"


def test_exit_status_and_signals_pass_through():
    assert run("--", "python3", "-c", "import sys; sys.exit(7)").returncode == 7
    assert run("--", "sh", "-c", "kill -TERM $$").returncode == 128 + 15
    missing = run("--", "no-such-command-era")
    assert missing.returncode == 127
    assert "cannot run no-such-command-era: command not found" in missing.stderr
    usage = run()
    assert usage.returncode == 2
    assert "no command to run" in usage.stderr


def test_each_run_gets_a_fresh_emulator_and_leaves_nothing(tmp_path):
    probe = "import era_storage; print(era_storage.kv.get('app', 'k')); era_storage.kv.put('app', 'k', 'v')"
    first = run("--", "python3", "-c", probe)
    second = run("--", "python3", "-c", probe)
    assert first.stdout.strip() == second.stdout.strip() == "None"  # --memory: nothing carried over
    # The data dir it used is gone once it exits.
    # (the command's parent is era-emu itself: its lock file names the directory)
    r = run("--", "python3", "-c", "import os; fds = f'/proc/{os.getppid()}/fd'; "
            "print(next(os.path.dirname(t) for t in (os.readlink(f'{fds}/{n}') for n in os.listdir(fds)) "
            "if t.endswith('/era-emu.lock')))")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(r.stdout.strip())
    # With --data, state persists between runs, and --seed applies.
    data = tmp_path / "data"
    seed = tmp_path / "seed.json"
    seed.write_text('{"kv": {"app": {"seeded": "yes"}}}')
    r = run("--data", str(data), "--seed", str(seed), "--", "python3", "-c",
            "import era_storage; print(era_storage.kv.get('app', 'seeded'))")
    assert r.stdout.strip() == "yes", r.stderr
    assert (data / "lmdb").is_dir()


def test_snapshot_on_exit_leaves_a_data_dir_that_up_opens(tmp_path):
    from emu_harness import Emu

    state = tmp_path / "state"
    writer = textwrap.dedent("""
        import era_storage, sys
        era_storage.kv.put("app", "user:1", "ada")
        era_storage.r2.put("files", "big.bin", bytes(range(256)) * 4096)
        era_storage.d1.exec("app", "CREATE TABLE t (x); INSERT INTO t VALUES (42)")
        sys.exit(3)  # a failing test run: its state is what one wants to look at
    """)
    r = run("--snapshot-on-exit", str(state), "--", "python3", "-c", writer)
    assert r.returncode == 3, r.stderr  # the command's status still wins
    assert f"state saved to {state}" in r.stderr
    emu = Emu("--data", str(state))
    try:
        assert emu.json("GET", "/_emu/inspect/kv/app/user:1")[1]["value"] == "ada"
        status, body, _ = emu.request("GET", "/api/r2/files/big.bin")
        assert status == 200 and body == bytes(range(256)) * 4096
        assert emu.json("POST", "/_emu/inspect/d1/app/query", {"sql": "SELECT x FROM t"})[1]["results"] == [{"x": 42}]
    finally:
        emu.stop()
    # A second export replaces the first; a directory that is not an export is refused.
    r = run("--snapshot-on-exit", str(state), "--", "python3", "-c", "import era_storage; era_storage.kv.put('app', 'only', '1')")
    assert r.returncode == 0, r.stderr
    emu = Emu("--data", str(state))
    try:
        assert [k["name"] for k in emu.json("GET", "/_emu/inspect/kv/app")[1]["keys"]] == ["only"]
    finally:
        emu.stop()
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    r = run("--snapshot-on-exit", str(other), "--", "true")
    assert r.returncode == 1
    assert "is not an earlier era-emu export" in r.stderr
    assert [p.name for p in other.iterdir()] == ["keep.txt"]
