"""era-emu up --kv-propagation / --kv-rate-limit: the engine-wide KV settings from the command line."""
import subprocess

from emu_harness import BIN, Emu


def _put(emu, key, value, location):
    return emu.request("PUT", f"/api/storage/kv/app/{key}", {"value": value},
                       headers={"X-Era-Location": location})[0]


def _get(emu, key, location):
    return emu.request("GET", f"/api/storage/kv/app/{key}", headers={"X-Era-Location": location})[0]


def test_default_delay_hides_a_fresh_write_from_other_locations():
    emu = Emu("--memory", "--clock", "frozen")
    try:
        assert _put(emu, "k", "v", "eu") == 200
        assert _get(emu, "k", "eu") == 200
        assert _get(emu, "k", "us") == 404
        emu.json("POST", "/_emu/time", {"advance_ms": 60_000})
        assert _get(emu, "k", "ap") == 200
    finally:
        emu.stop()


def test_zero_delay_is_strongly_consistent():
    emu = Emu("--memory", "--clock", "frozen", "--kv-propagation", "0")
    try:
        assert _put(emu, "k", "v", "eu") == 200
        assert _get(emu, "k", "us") == 200
    finally:
        emu.stop()


def test_rate_limit_flag_refuses_a_second_write_within_a_second():
    emu = Emu("--memory", "--clock", "frozen", "--kv-rate-limit")
    try:
        assert _put(emu, "k", "1", "local") == 200
        status, body = emu.json("PUT", "/api/storage/kv/app/k", {"value": "2"})
        assert status == 429 and body["code"] == "KV_RATE_LIMITED"
        emu.json("POST", "/_emu/time", {"advance_ms": 1000})
        assert _put(emu, "k", "3", "local") == 200
    finally:
        emu.stop()


def test_a_bad_duration_is_refused_with_an_example():
    p = subprocess.run([BIN, "up", "--memory", "--port", "0", "--kv-propagation", "soon"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert '--kv-propagation "soon" is not a duration' in p.stderr
