"""The SDK's error mapping and retry policy against faults injected by era-emu's control API
(``/_emu/faults``). Every rule is scoped to the test's own namespace."""

from __future__ import annotations

import pytest

import era_storage
from era_storage import Client, RateLimitedError, StorageConnectionError, StorageError


@pytest.fixture
def client(era_emu) -> Client:
    return Client(era_emu.url, token="", location="", retries=2, backoff=0.01)


def test_reads_retry_through_injected_503s(era_emu, client, ns) -> None:
    client.kv.set(ns, "k", "v")
    fid = era_emu.fault(service="kv", op="get", namespace=ns,
                        action={"type": "error", "status": 503}, times=2)
    assert client.kv.get(ns, "k") == "v"
    assert era_emu.fault_state(fid)["fired"] == 2


def test_read_gives_up_after_bounded_retries(era_emu, client, ns) -> None:
    fid = era_emu.fault(service="kv", op="get", namespace=ns,
                        action={"type": "error", "status": 503, "code": "UNAVAILABLE", "message": "injected"})
    with pytest.raises(StorageError) as info:
        client.kv.get(ns, "k")
    assert (info.value.status, info.value.code) == (503, "UNAVAILABLE")
    assert str(info.value) == "KV get failed: injected"
    assert era_emu.fault_state(fid)["fired"] == 3  # 1 + retries


def test_writes_are_not_retried_and_not_applied(era_emu, client, ns) -> None:
    fid = era_emu.fault(service="kv", op="put", namespace=ns,
                        action={"type": "error", "status": 503}, times=1)
    with pytest.raises(StorageError) as info:
        client.kv.set(ns, "k", "v")
    assert info.value.status == 503
    assert era_emu.fault_state(fid)["fired"] == 1
    assert client.kv.get(ns, "k") is None


def test_lost_ack_is_why_writes_do_not_retry(era_emu, client, ns) -> None:
    era_emu.fault(service="kv", op="put", namespace=ns, action={"type": "lost_ack"}, times=1)
    with pytest.raises(StorageError) as info:
        client.kv.set(ns, "counter", "1")
    assert info.value.status == 503
    assert client.kv.get(ns, "counter") == "1"  # applied although the answer was an error


def test_throttle_maps_to_rate_limited(era_emu, ns) -> None:
    no_retry = Client(era_emu.url, token="", location="", retries=0)
    era_emu.fault(service="r2", op="get", namespace=ns,
                  action={"type": "throttle", "retry_after": 1}, times=1)
    with pytest.raises(RateLimitedError) as info:
        no_retry.r2.get(ns, "x")
    assert info.value.status == 429 and info.value.retry_after == 1.0
    assert str(info.value).startswith("R2 get failed: ")


def test_connection_reset_on_a_read_is_retried(era_emu, client, ns) -> None:
    client.r2.put_object(ns, "obj", b"payload")
    fid = era_emu.fault(service="r2", op="get", namespace=ns, action={"type": "reset"}, times=1)
    assert client.r2.get_object(ns, "obj").body == b"payload"
    assert era_emu.fault_state(fid)["fired"] == 1


def test_connection_reset_on_a_write_is_an_error(era_emu, client, ns) -> None:
    era_emu.fault(service="d1", op="exec", namespace=ns, action={"type": "reset"}, times=1)
    with pytest.raises(StorageConnectionError) as info:
        client.d1.exec(ns, "CREATE TABLE t (v)")
    assert info.value.code == "CONNECTION_FAILED" and info.value.status is None
    assert str(info.value).startswith("D1 exec failed: ")


def test_server_hold_hits_the_client_timeout(era_emu, ns) -> None:
    impatient = Client(era_emu.url, token="", location="", retries=0, timeout=0.3)
    era_emu.fault(service="kv", op="get", namespace=ns, action={"type": "timeout", "hold_ms": 3000}, times=1)
    with pytest.raises(StorageConnectionError) as info:
        impatient.kv.get(ns, "k")
    assert info.value.code == "TIMEOUT"


def test_truncated_download_never_leaves_a_partial_file(era_emu, client, ns, tmp_path) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    client.r2.put_object(ns, "big", data)
    era_emu.fault(service="r2", op="get", namespace=ns,
                  action={"type": "truncate", "after_bytes": 1000}, times=3)
    dst = tmp_path / "out.bin"
    with pytest.raises(StorageError):
        client.r2.get_file(ns, "big", dst)
    assert not dst.exists()
    assert [p.name for p in tmp_path.iterdir()] == []
    with pytest.raises(StorageError):
        client.r2.get_object(ns, "big")
