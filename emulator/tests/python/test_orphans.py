"""A test runner killed with SIGKILL leaves no era-emu process and no --memory data dir behind:
the pytest plugin and the jest preset start `era-emu up --exit-with-parent`, which stops (and
removes its directory) once its parent is gone. Also: a --memory dir left by a crashed instance
is removed by the next one."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from emu_harness import BIN, ROOT

JEST_DIR = ROOT / "fixtures" / "jest"


def era_emu_children(parent: int):
    """era-emu processes whose parent is `parent`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv0 = (d / "cmdline").read_bytes().split(b"\0")[0]
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and argv0.endswith(b"era-emu"):
            found.append(int(d.name))
    return found


def data_dir_of(pid: int) -> Path:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith("/era-emu.lock"):
            return Path(target).parent
    raise AssertionError(f"era-emu {pid} holds no era-emu.lock")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; whoever adopted it reaps it


def kill_runner_and_check(argv, cwd: Path, marker: Path) -> None:
    """Starts the test runner `argv` (era-emu from ERA_EMU_BIN, none to attach to), waits until its
    test wrote `marker`, SIGKILLs it and checks its emulators and their data dirs are gone."""
    env = dict(os.environ, ERA_EMU_BIN=BIN)
    env.pop("ERA_EMU_URL", None)
    runner = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        check_after_kill(runner, marker)
    finally:
        runner.kill()


def check_after_kill(runner: subprocess.Popen, marker: Path) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        if runner.poll() is not None:
            raise AssertionError(f"the runner exited first:\n{runner.stdout.read()}")
        assert time.monotonic() < deadline, "the test never started"
        time.sleep(0.05)
    emus = era_emu_children(runner.pid)
    assert emus, "the runner started no era-emu of its own"
    dirs = [data_dir_of(pid) for pid in emus]
    assert all(d.is_dir() for d in dirs)

    runner.send_signal(signal.SIGKILL)
    runner.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in emus) or any(d.exists() for d in dirs):
        assert time.monotonic() < deadline, (
            f"left behind: processes {[p for p in emus if alive(p)]}, dirs {[str(d) for d in dirs if d.exists()]}")
        time.sleep(0.1)


def test_sigkill_of_pytest_leaves_nothing(tmp_path):
    marker = tmp_path / "started"
    (tmp_path / "test_hold.py").write_text(textwrap.dedent(f"""
        import time
        def test_hold(era):
            open({str(marker)!r}, "w").write(era.url)
            time.sleep(300)
    """))
    kill_runner_and_check([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           str(tmp_path / "test_hold.py")], tmp_path, marker)


def test_sigkill_of_jest_leaves_nothing(tmp_path):
    jest = JEST_DIR / "node_modules" / "jest" / "bin" / "jest.js"
    node = shutil.which("node")
    if not node or not jest.exists():
        pytest.skip("node and fixtures/jest's npm packages are needed (scripts/dev setup installs them)")
    marker = tmp_path / "started"
    (tmp_path / "hold.test.js").write_text(textwrap.dedent(f"""
        test('hold', async () => {{
          require('node:fs').writeFileSync({str(marker)!r}, 'started');
          await new Promise((r) => setTimeout(r, 300000));
        }}, 400000);
    """))
    (tmp_path / "jest.config.js").write_text(textwrap.dedent(f"""
        module.exports = {{
          rootDir: {str(tmp_path)!r},
          testEnvironment: 'node',
          globalSetup: {str(JEST_DIR / 'src' / 'global-setup.js')!r},
          globalTeardown: {str(JEST_DIR / 'src' / 'global-teardown.js')!r},
          testMatch: ['<rootDir>/hold.test.js'],
        }};
    """))
    kill_runner_and_check([node, str(jest), "--config", str(tmp_path / "jest.config.js"), "--runInBand"],
                          tmp_path, marker)


def test_a_crashed_memory_instance_dir_is_removed_by_the_next(tmp_path):
    first = subprocess.Popen([BIN, "up", "--memory", "--port", "0", "--log-level", "warn"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert first.stdout.readline().startswith("ERA_STORAGE_URL=")
    left = data_dir_of(first.pid)
    first.send_signal(signal.SIGKILL)  # no cleanup runs
    first.wait()
    assert left.is_dir()
    # The sweep spares directories younger than 5 s (their owner may not hold its lock yet).
    old = time.time() - 60
    os.utime(left / "era-emu.lock", (old, old))
    second = subprocess.Popen([BIN, "up", "--memory", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert second.stdout.readline().startswith("ERA_STORAGE_URL=")
        assert not left.exists()
        mine = data_dir_of(second.pid)
        assert mine.is_dir() and mine != left  # a live instance's directory is never swept
    finally:
        second.terminate()
        second.wait(timeout=10)
