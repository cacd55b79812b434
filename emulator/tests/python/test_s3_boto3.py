"""R2's S3-compatible API at $ERA_STORAGE_URL/s3, driven by boto3 (PyPI) as users drive it:
every operation R2 supports, SigV4 in all its forms (header, presigned, aws-chunked signed and
unsigned with trailers), errors as S3 XML, and visibility across the ERA and binary R2 routes."""
import base64
import datetime
import hashlib
import hmac
import io
import json
import os
import urllib.error
import urllib.request
import zlib

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402

from emu_harness import Emu  # noqa: E402

MiB = 1024 * 1024
KEY, SECRET = "era-emu", "era-emu-secret"


@pytest.fixture(scope="module")
def server():
    e = Emu("--memory")
    yield e
    e.stop()


@pytest.fixture
def emu(server):
    assert server.request("POST", "/_emu/reset", {})[0] == 200
    server.request("DELETE", "/_emu/faults")
    server.request("POST", "/_emu/time", {"reset": True})
    yield server


def client(emu, key=KEY, secret=SECRET, region="auto", **cfg):
    return boto3.client("s3", endpoint_url=emu.url + "/s3", aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name=region, config=Config(retries={"total_max_attempts": 1}, **cfg))


@pytest.fixture
def s3(emu):
    c = client(emu)
    for b in ("demo", "other"):
        try:
            c.create_bucket(Bucket=b)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    return c


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


# ------------------------------------------------------------------------------------ buckets

def test_bucket_operations(emu):
    s3 = client(emu)
    s3.create_bucket(Bucket="alpha-1")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="alpha-1")
    assert code(e) == "BucketAlreadyOwnedByYou" and status(e) == 409
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert code(e) == "InvalidBucketName"
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "alpha-1" in names
    s3.head_bucket(Bucket="alpha-1")
    assert s3.get_bucket_location(Bucket="alpha-1")["LocationConstraint"] == "auto"
    s3.put_object(Bucket="alpha-1", Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="alpha-1")
    assert code(e) == "BucketNotEmpty" and status(e) == 409
    s3.delete_object(Bucket="alpha-1", Key="k")
    s3.delete_bucket(Bucket="alpha-1")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="alpha-1")
    assert status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="alpha-1", Key="k", Body=b"x")
    assert code(e) == "NoSuchBucket"
    # A bucket another route wrote to exists for S3 too (and is listed).
    assert emu.request("PUT", "/api/r2/fromraw/k", raw=b"raw")[0] == 200
    s3.head_bucket(Bucket="fromraw")
    assert "fromraw" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_created_buckets_survive_reset(emu, s3):
    s3.put_object(Bucket="demo", Key="k", Body=b"x")
    assert emu.request("POST", "/_emu/reset", {})[0] == 200
    s3.head_bucket(Bucket="demo")
    assert s3.list_objects_v2(Bucket="demo")["KeyCount"] == 0


# ------------------------------------------------------------------------------------ objects

def test_put_get_head_with_metadata(s3):
    put = s3.put_object(Bucket="demo", Key="docs/a b+c.txt", Body=b"hello world", ContentType="text/plain",
                        ContentDisposition='attachment; filename="a.txt"', ContentLanguage="en",
                        CacheControl="max-age=60", Metadata={"Owner": "alice", "n": "1"})
    assert put["ETag"] == '"%s"' % hashlib.md5(b"hello world").hexdigest()
    got = s3.get_object(Bucket="demo", Key="docs/a b+c.txt")
    assert got["Body"].read() == b"hello world"
    assert got["ContentType"] == "text/plain"
    assert got["ContentDisposition"] == 'attachment; filename="a.txt"'
    assert got["ContentLanguage"] == "en" and got["CacheControl"] == "max-age=60"
    assert got["Metadata"] == {"owner": "alice", "n": "1"}
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket="demo", Key="docs/a b+c.txt")
    assert head["ContentLength"] == 11 and head["ETag"] == put["ETag"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="missing")
    assert code(e) == "NoSuchKey" and status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket="demo", Key="missing")
    assert status(e) == 404
    s3.delete_object(Bucket="demo", Key="docs/a b+c.txt")
    s3.delete_object(Bucket="demo", Key="docs/a b+c.txt")  # deleting a missing key succeeds
    with pytest.raises(ClientError):
        s3.head_object(Bucket="demo", Key="docs/a b+c.txt")


def test_cross_route_visibility(emu, s3):
    s3.put_object(Bucket="demo", Key="from-s3", Body=b"s3 bytes", ContentType="text/x-s3")
    st, body, hdrs = emu.request("GET", "/api/r2/demo/from-s3")
    assert st == 200 and body == b"s3 bytes"
    assert hdrs["ETag"] == s3.head_object(Bucket="demo", Key="from-s3")["ETag"]
    st, obj = emu.json("GET", "/api/storage/r2/demo/from-s3")
    assert st == 200 and base64.b64decode(obj["content"]) == b"s3 bytes"
    assert emu.request("PUT", "/api/r2/demo/from-raw", raw=b"raw bytes", headers={"X-Era-Meta-Color": "red"})[0] == 200
    got = s3.get_object(Bucket="demo", Key="from-raw")
    assert got["Body"].read() == b"raw bytes" and got["Metadata"] == {"color": "red"}
    st, _, hdrs = emu.request("HEAD", "/api/r2/demo/from-raw")
    assert hdrs["ETag"] == got["ETag"]


def test_conditional_get_and_ranges(s3):
    etag = s3.put_object(Bucket="demo", Key="r", Body=b"0123456789")["ETag"]
    assert s3.get_object(Bucket="demo", Key="r", IfMatch=etag)["Body"].read() == b"0123456789"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="r", IfMatch='"nope"')
    assert code(e) == "PreconditionFailed" and status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="r", IfNoneMatch=etag)
    assert status(e) == 304
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    assert s3.get_object(Bucket="demo", Key="r", IfModifiedSince=past)["ContentLength"] == 10
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="r", IfModifiedSince=future)
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="r", IfUnmodifiedSince=past)
    assert status(e) == 412
    r = s3.get_object(Bucket="demo", Key="r", Range="bytes=2-5")
    assert r["Body"].read() == b"2345" and r["ContentRange"] == "bytes 2-5/10"
    assert s3.get_object(Bucket="demo", Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket="demo", Key="r", Range="bytes=7-")["Body"].read() == b"789"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="r", Range="bytes=20-30")
    assert code(e) == "InvalidRange" and status(e) == 416


def test_conditional_put_and_overrides(s3):
    s3.put_object(Bucket="demo", Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="demo", Key="once", Body=b"second", IfNoneMatch="*")
    assert code(e) == "PreconditionFailed"
    assert s3.get_object(Bucket="demo", Key="once")["Body"].read() == b"first"
    got = s3.get_object(Bucket="demo", Key="once", ResponseContentType="application/x-test",
                        ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
    assert got["ContentType"] == "application/x-test"
    assert got["ContentDisposition"] == "inline" and got["CacheControl"] == "no-cache"


@pytest.mark.parametrize("alg", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_flexible_checksums(s3, alg):
    try:
        r = s3.put_object(Bucket="demo", Key="c-" + alg, Body=b"checksummed body", ChecksumAlgorithm=alg)
    except Exception as e:  # an older botocore without CRC64NVME (needs awscrt) or CRC32C
        pytest.skip(f"this botocore cannot compute {alg}: {e}")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket="demo", Key="c-" + alg)["Body"].read() == b"checksummed body"


def test_sha256_checksum_is_kept_and_returned(s3):
    body = b"keep my checksum" * 1000
    s3.put_object(Bucket="demo", Key="kept", Body=body, ChecksumAlgorithm="SHA256")
    got = s3.get_object(Bucket="demo", Key="kept", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert got["Body"].read() == body  # boto3 verified the body against it
    part = s3.get_object(Bucket="demo", Key="kept", ChecksumMode="ENABLED", Range="bytes=0-9")
    assert "ChecksumSHA256" not in part and part["Body"].read() == body[:10]


def test_bad_checksums_store_nothing(s3):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="demo", Key="bad", Body=b"abc", ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert code(e) == "BadDigest"
    wrong = base64.b64encode((zlib.crc32(b"other")).to_bytes(4, "big")).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="demo", Key="bad", Body=b"abc", ChecksumCRC32=wrong)
    assert code(e) == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket="demo", Key="bad")


# ------------------------------------------------------------------------------------ listing

def test_list_objects_v2_and_v1(s3):
    keys = ["a/1", "a/2", "a/sub/3", "b/4", "c", "d e/5", "ünï/6"]
    for k in keys:
        s3.put_object(Bucket="demo", Key=k, Body=k.encode())
    r = s3.list_objects_v2(Bucket="demo")
    assert [o["Key"] for o in r["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert r["KeyCount"] == len(keys) and not r["IsTruncated"]
    r = s3.list_objects_v2(Bucket="demo", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["c"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/", "d e/", "ünï/"]
    r = s3.list_objects_v2(Bucket="demo", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/sub/"]
    r = s3.list_objects_v2(Bucket="demo", StartAfter="b/4")
    assert [o["Key"] for o in r["Contents"]] == ["c", "d e/5", "ünï/6"]
    # Pages of 2 through continuation tokens, as the paginator walks them.
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="demo", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == sorted(keys, key=lambda k: k.encode())
    # encoding-type=url: boto3 asks for it by itself and decodes it (above); asked for explicitly,
    # it hands back the encoded keys.
    r = s3.list_objects_v2(Bucket="demo", Prefix="d ", EncodingType="url")
    assert [o["Key"] for o in r["Contents"]] == ["d%20e/5"]
    # V1 with markers.
    pages = list(s3.get_paginator("list_objects").paginate(Bucket="demo", PaginationConfig={"PageSize": 3}))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == sorted(keys, key=lambda k: k.encode())
    assert s3.list_objects_v2(Bucket="demo", MaxKeys=0)["KeyCount"] == 0
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="demo", ContinuationToken="garbage")
    assert code(e) == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="nosuch")
    assert code(e) == "NoSuchBucket"


# ------------------------------------------------------------------------------------ copy, delete

def test_copy_object(s3):
    s3.put_object(Bucket="demo", Key="src", Body=b"copy me", ContentType="text/plain", Metadata={"a": "1"})
    etag = s3.head_object(Bucket="demo", Key="src")["ETag"]
    r = s3.copy_object(Bucket="other", Key="dst", CopySource={"Bucket": "demo", "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == etag
    got = s3.get_object(Bucket="other", Key="dst")
    assert got["Body"].read() == b"copy me" and got["Metadata"] == {"a": "1"} and got["ContentType"] == "text/plain"
    s3.copy_object(Bucket="demo", Key="src", CopySource="demo/src", MetadataDirective="REPLACE",
                   ContentType="text/x-new", Metadata={"b": "2"})
    head = s3.head_object(Bucket="demo", Key="src")
    assert head["ContentType"] == "text/x-new" and head["Metadata"] == {"b": "2"}
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="demo", Key="src", CopySource="demo/src")
    assert code(e) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="demo", Key="x", CopySource="demo/src", CopySourceIfMatch='"nope"')
    assert code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="demo", Key="x", CopySource="demo/missing")
    assert code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="demo", Key="x", CopySource="nosuch/src")
    assert code(e) == "NoSuchBucket"


def test_delete_objects(s3):
    for k in ("d1", "d2", "d3"):
        s3.put_object(Bucket="demo", Key=k, Body=b"x")
    r = s3.delete_objects(Bucket="demo", Delete={"Objects": [{"Key": "d1"}, {"Key": "d2"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["d1", "d2", "never"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="demo")["Contents"]] == ["d3"]
    r = s3.delete_objects(Bucket="demo", Delete={"Objects": [{"Key": "d3"}], "Quiet": True})
    assert "Deleted" not in r and "Errors" not in r
    assert s3.list_objects_v2(Bucket="demo")["KeyCount"] == 0


# ------------------------------------------------------------------------------------ multipart

def test_multipart_20mib_in_5mib_parts(emu, s3):
    data = os.urandom(20 * MiB)
    up = s3.create_multipart_upload(Bucket="demo", Key="big", ContentType="application/x-big", Metadata={"m": "v"})
    uid = up["UploadId"]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="demo")["Uploads"]] == [uid]
    parts = []
    for i in range(4):
        r = s3.upload_part(Bucket="demo", Key="big", UploadId=uid, PartNumber=i + 1, Body=data[i * 5 * MiB:(i + 1) * 5 * MiB])
        parts.append({"PartNumber": i + 1, "ETag": r["ETag"]})
    listed = s3.list_parts(Bucket="demo", Key="big", UploadId=uid)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3, 4]
    assert all(p["Size"] == 5 * MiB for p in listed["Parts"])
    page = s3.list_parts(Bucket="demo", Key="big", UploadId=uid, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="demo", Key="big", UploadId=uid,
                                     MultipartUpload={"Parts": [parts[1], parts[0]]})
    assert code(e) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="demo", Key="big", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]})
    assert code(e) == "InvalidPart"
    r = s3.complete_multipart_upload(Bucket="demo", Key="big", UploadId=uid, MultipartUpload={"Parts": parts})
    md5s = b"".join(hashlib.md5(data[i * 5 * MiB:(i + 1) * 5 * MiB]).digest() for i in range(4))
    assert r["ETag"] == '"%s-4"' % hashlib.md5(md5s).hexdigest()
    got = s3.get_object(Bucket="demo", Key="big")
    assert got["ContentType"] == "application/x-big" and got["Metadata"] == {"m": "v"}
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(data).digest()
    assert s3.list_multipart_uploads(Bucket="demo").get("Uploads", []) == []
    # the binary route serves the same object, with the same etag
    st, _, hdrs = emu.request("HEAD", "/api/r2/demo/big")
    assert st == 200 and hdrs["ETag"] == r["ETag"] and int(hdrs["Content-Length"]) == 20 * MiB


def test_multipart_errors_and_abort(s3):
    uid = s3.create_multipart_upload(Bucket="demo", Key="small")["UploadId"]
    e1 = s3.upload_part(Bucket="demo", Key="small", UploadId=uid, PartNumber=1, Body=b"a" * 1024)["ETag"]
    e2 = s3.upload_part(Bucket="demo", Key="small", UploadId=uid, PartNumber=2, Body=b"b" * 1024)["ETag"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="demo", Key="small", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert code(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket="demo", Key="small", UploadId=uid)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket="demo", Key="small", UploadId=uid, PartNumber=3, Body=b"c")
    assert code(e) == "NoSuchUpload" and status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket="demo", Key="small", UploadId=uid)
    assert code(e) == "NoSuchUpload"


def test_upload_part_copy(s3):
    src = os.urandom(6 * MiB)
    s3.put_object(Bucket="demo", Key="source", Body=src)
    uid = s3.create_multipart_upload(Bucket="other", Key="assembled")["UploadId"]
    p1 = s3.upload_part_copy(Bucket="other", Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": "demo", "Key": "source"}, CopySourceRange="bytes=0-5242879")
    p2 = s3.upload_part_copy(Bucket="other", Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": "demo", "Key": "source"}, CopySourceRange=f"bytes=5242880-{len(src) - 1}")
    s3.complete_multipart_upload(Bucket="other", Key="assembled", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket="other", Key="assembled")["Body"].read() == src


def test_transfer_manager_upload_and_download(s3, tmp_path):
    data = os.urandom(13 * MiB + 123)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_file(str(src), "demo", "tm/file.bin", Config=cfg)
    head = s3.head_object(Bucket="demo", Key="tm/file.bin")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-3"')
    dst = tmp_path / "down.bin"
    s3.download_file("demo", "tm/file.bin", str(dst), Config=cfg)
    assert dst.read_bytes() == data
    buf = io.BytesIO()
    s3.download_fileobj("demo", "tm/file.bin", buf, Config=TransferConfig(multipart_threshold=1 * MiB,
                                                                         multipart_chunksize=1 * MiB))
    assert buf.getvalue() == data


# ------------------------------------------------------------------------------------ auth

def test_presigned_get_put_expire_on_the_virtual_clock(emu, s3):
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "demo", "Key": "pre"}, ExpiresIn=300)
    req = urllib.request.Request(put_url, data=b"presigned body", method="PUT")
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "demo", "Key": "pre"}, ExpiresIn=300)
    with urllib.request.urlopen(get_url) as r:
        assert r.read() == b"presigned body"
    tampered = get_url.replace("Key=pre", "Key=pre").replace("/demo/pre", "/demo/pre2")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered)
    assert e.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in e.value.read()
    # Five minutes later on the emulator's clock — no sleeping — the URL has expired.
    assert emu.request("POST", "/_emu/time", {"advance": "301s"})[0] == 200
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(get_url)
    body = e.value.read()
    assert e.value.code == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body


def test_authentication_errors(emu, s3):
    with pytest.raises(ClientError) as e:
        client(emu, secret="wrong").list_buckets()
    assert code(e) == "SignatureDoesNotMatch" and status(e) == 403
    with pytest.raises(ClientError) as e:
        client(emu, key="someone").list_buckets()
    assert code(e) == "InvalidAccessKeyId"
    st, body, _ = emu.request("GET", "/s3/demo")
    assert st == 403 and b"<Code>AccessDenied</Code>" in body
    with pytest.raises(ClientError) as e:
        client(emu, region="eu-west-1").list_buckets()
    assert code(e) == "AuthorizationHeaderMalformed"
    with pytest.raises(ClientError) as e:
        s3.get_bucket_acl(Bucket="demo")
    assert code(e) == "NotImplemented" and status(e) == 501


def _signed(emu, method, path, headers, payload_hash, body=b""):
    """A request signed by botocore's SigV4 signer with a chosen x-amz-content-sha256."""
    req = AWSRequest(method=method, url=emu.url + path, data=body, headers=dict(headers))
    req.headers["x-amz-content-sha256"] = payload_hash
    SigV4Auth(Credentials(KEY, SECRET), "s3", "auto").add_auth(req)
    return req


def _send(req, body=None):
    data = body if body is not None else (req.body or None)
    headers = dict(req.headers.items())
    if body is not None:
        headers["Content-Length"] = str(len(body))
    r = urllib.request.Request(req.url, data=data, method=req.method, headers=headers)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _chunk_sig(key, amz_date, scope, prev, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, hashlib.sha256(b"").hexdigest(),
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def _signing_key(date):
    k = hmac.new(b"AWS4" + SECRET.encode(), date.encode(), hashlib.sha256).digest()
    for part in ("auto", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _streaming_body(req, chunks, tamper=False, trailer=None):
    amz_date = req.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/auto/s3/aws4_request"
    prev = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    key = _signing_key(amz_date[:8])
    out = b""
    for data in chunks + [b""]:
        sig = _chunk_sig(key, amz_date, scope, prev, data)
        prev = sig
        sent = data.replace(b"a", b"b") if tamper and data else data
        out += b"%x;chunk-signature=%s\r\n" % (len(data), sig.encode()) + sent + b"\r\n"
    if trailer is not None:
        out = out[:-2]  # the final chunk's CRLF is replaced by the trailer section
        text = "".join(f"{n}:{v}\n" for n, v in trailer)
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev, hashlib.sha256(text.encode()).hexdigest()])
        tsig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += "".join(f"{n}:{v}\r\n" for n, v in trailer).encode() + f"x-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    return out


def test_streaming_signed_chunks(emu, s3):
    chunks = [b"a" * 65536, b"a" * 65536, b"tail"]
    payload = b"".join(chunks)
    hdrs = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload))}
    req = _signed(emu, "PUT", "/s3/demo/streamed", hdrs, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    st, body = _send(req, _streaming_body(req, chunks))
    assert st == 200, body
    got = s3.get_object(Bucket="demo", Key="streamed")
    assert got["Body"].read() == payload and "ContentEncoding" not in got
    # A changed chunk fails its signature, and nothing is stored.
    req = _signed(emu, "PUT", "/s3/demo/tampered", hdrs, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    st, body = _send(req, _streaming_body(req, chunks, tamper=True))
    assert st == 403 and b"SignatureDoesNotMatch" in body
    with pytest.raises(ClientError):
        s3.head_object(Bucket="demo", Key="tampered")


def test_streaming_signed_trailer(emu, s3):
    chunks = [b"x" * 1000, b"y" * 10]
    payload = b"".join(chunks)
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    hdrs = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload)),
            "x-amz-trailer": "x-amz-checksum-crc32"}
    req = _signed(emu, "PUT", "/s3/demo/trailer", hdrs, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    st, body = _send(req, _streaming_body(req, chunks, trailer=[("x-amz-checksum-crc32", crc)]))
    assert st == 200, body
    assert s3.get_object(Bucket="demo", Key="trailer")["Body"].read() == payload


def test_streaming_unsigned_trailer(emu, s3):
    payload = b"unsigned payload with a trailer" * 100
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    body = b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n" + f"x-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    hdrs = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload)),
            "x-amz-trailer": "x-amz-checksum-crc32"}
    req = _signed(emu, "PUT", "/s3/demo/unsigned", hdrs, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    st, resp = _send(req, body)
    assert st == 200, resp
    assert s3.get_object(Bucket="demo", Key="unsigned")["Body"].read() == payload
    bad = body.replace(crc.encode(), base64.b64encode(b"\0\0\0\0"))
    req = _signed(emu, "PUT", "/s3/demo/unsigned-bad", hdrs, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    st, resp = _send(req, bad)
    assert st == 400 and b"<Code>BadDigest</Code>" in resp
    # A truncated stream is an IncompleteBody, not a stored object.
    req = _signed(emu, "PUT", "/s3/demo/unsigned-short", hdrs, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    st, resp = _send(req, body[:100])
    assert st == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket="demo", Key="unsigned-short")


def test_payload_hash_mismatch(emu, s3):
    req = _signed(emu, "PUT", "/s3/demo/h", {}, hashlib.sha256(b"what was signed").hexdigest(), body=b"something else")
    st, body = _send(req)
    assert st == 400 and b"XAmzContentSHA256Mismatch" in body
    with pytest.raises(ClientError):
        s3.head_object(Bucket="demo", Key="h")


def test_malformed_xml_is_refused(emu, s3):
    uid = s3.create_multipart_upload(Bucket="demo", Key="x")["UploadId"]
    for doc in (b"<CompleteMultipartUpload><Part>", b"<a>" * 100 + b"</a>" * 100, b"not xml at all",
                b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload>&e;</CompleteMultipartUpload>'):
        req = _signed(emu, "POST", f"/s3/demo/x?uploadId={uid}", {}, hashlib.sha256(doc).hexdigest(), body=doc)
        st, body = _send(req)
        assert st == 400 and b"<Code>MalformedXML</Code>" in body, body
        assert b"root:" not in body


# ------------------------------------------------------------------------------------ faults, events

def test_faults_and_events_apply_to_s3(emu, s3):
    s3.put_object(Bucket="demo", Key="f", Body=b"v")
    st, rule = emu.json("POST", "/_emu/faults", {"service": "r2", "op": "get", "times": 1,
                                                  "action": {"type": "error", "status": 503, "code": "SlowDown"}})
    assert st == 201
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="demo", Key="f")
    assert code(e) == "SlowDown" and status(e) == 503
    assert s3.get_object(Bucket="demo", Key="f")["Body"].read() == b"v"  # the rule fired once
    st, ev = emu.json("GET", "/_emu/events")
    ops = [(x["service"], x["op"], x["namespace"], x["key"], x["status"]) for x in ev["events"] if x["service"] == "r2"]
    assert ("r2", "put", "demo", "f", 200) in ops
    assert ("r2", "get", "demo", "f", 503) in ops
    st, rule = emu.json("POST", "/_emu/faults", {"service": "r2", "op": "copy", "times": 1, "action": {"type": "error"}})
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="demo", Key="g", CopySource="demo/f")
    assert status(e) == 503


# ------------------------------------------------------------------------------------ CORS, lifecycle

def test_bucket_cors_answers_browsers(emu, s3):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket="demo")
    assert code(e) == "NoSuchCORSConfiguration"
    s3.put_object(Bucket="demo", Key="page.txt", Body=b"for the page")
    s3.put_bucket_cors(Bucket="demo", CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["http://app.test"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    rules = s3.get_bucket_cors(Bucket="demo")["CORSRules"]
    assert rules[0]["AllowedOrigins"] == ["http://app.test"] and rules[0]["MaxAgeSeconds"] == 600
    pre = {"Origin": "http://app.test", "Access-Control-Request-Method": "PUT",
           "Access-Control-Request-Headers": "content-type,x-amz-date"}
    st, _, hdrs = emu.request("OPTIONS", "/s3/demo/page.txt", headers=pre)
    assert st == 204 and hdrs["Access-Control-Allow-Origin"] == "http://app.test"
    assert hdrs["Access-Control-Max-Age"] == "600"
    st, _, _ = emu.request("OPTIONS", "/s3/demo/page.txt", headers={**pre, "Origin": "http://evil.test"})
    assert st == 403
    # A presigned GET from the allowed page works and is readable by it; another origin is refused.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "demo", "Key": "page.txt"}, ExpiresIn=60)
    path = url[len(emu.url):]
    st, body, hdrs = emu.request("GET", path, headers={"Origin": "http://app.test"})
    assert st == 200 and body == b"for the page"
    assert hdrs["Access-Control-Allow-Origin"] == "http://app.test" and hdrs["Access-Control-Expose-Headers"] == "ETag"
    st, body, _ = emu.request("GET", path, headers={"Origin": "http://evil.test"})
    assert st == 403 and b"<Code>AccessDenied</Code>" in body
    s3.delete_bucket_cors(Bucket="demo")
    st, _, _ = emu.request("GET", path, headers={"Origin": "http://app.test"})
    assert st == 403


def _lifecycle(days, prefix=None):
    rule = {"ID": "expire", "Status": "Enabled", "Expiration": {"Days": days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
    rule["Filter"] = {"Prefix": prefix} if prefix is not None else {}
    return {"Rules": [rule]}


def test_bucket_lifecycle_on_the_virtual_clock(emu, s3):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_lifecycle_configuration(Bucket="demo")
    assert code(e) == "NoSuchLifecycleConfiguration"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_lifecycle_configuration(Bucket="demo", LifecycleConfiguration=_lifecycle(1, prefix="logs/"))
    assert code(e) == "NotImplemented"
    s3.put_bucket_lifecycle_configuration(Bucket="demo", LifecycleConfiguration=_lifecycle(2))
    rules = s3.get_bucket_lifecycle_configuration(Bucket="demo")["Rules"]
    assert rules[0]["Expiration"]["Days"] == 2 and rules[0]["Status"] == "Enabled"
    s3.put_object(Bucket="demo", Key="old", Body=b"x")
    uid = s3.create_multipart_upload(Bucket="demo", Key="pending")["UploadId"]
    assert emu.request("POST", "/_emu/time", {"advance": "1d"})[0] == 200
    s3.head_object(Bucket="demo", Key="old")
    with pytest.raises(ClientError) as e:  # the upload expired after one day
        s3.list_parts(Bucket="demo", Key="pending", UploadId=uid)
    assert code(e) == "NoSuchUpload"
    assert emu.request("POST", "/_emu/time", {"advance": "1d"})[0] == 200
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket="demo", Key="old")
    assert status(e) == 404
    assert s3.list_objects_v2(Bucket="demo")["KeyCount"] == 0
    s3.delete_bucket_lifecycle(Bucket="demo")
    with pytest.raises(ClientError):
        s3.get_bucket_lifecycle_configuration(Bucket="demo")


def test_lifecycle_and_buckets_survive_a_restart(tmp_path):
    data = str(tmp_path / "data")
    first = Emu("--data", data, "--clock", "frozen")
    try:
        s3 = client(first)
        s3.create_bucket(Bucket="kept")
        s3.put_bucket_lifecycle_configuration(Bucket="kept", LifecycleConfiguration=_lifecycle(1))
    finally:
        first.stop()
    second = Emu("--data", data)
    try:
        s3 = client(second)
        s3.head_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="k", Body=b"x")
        assert second.request("POST", "/_emu/time", {"advance": "25h"})[0] == 200
        with pytest.raises(ClientError):
            s3.head_object(Bucket="kept", Key="k")
    finally:
        second.stop()


def test_declared_buckets_behave_the_same_through_s3(tmp_path):
    """An encrypted declared bucket seals what S3 writes; maxObjectSize refuses a declared length
    over it before any byte is read; declared buckets exist for S3 without CreateBucket."""
    secret = tmp_path / "key"
    secret.write_text("correct horse battery staple")
    config = tmp_path / "era-emu.json"
    config.write_text(json.dumps({"buckets": [
        {"name": "sealed", "encryption": {"secret": f"file:{secret}"}},
        {"name": "capped", "maxObjectSize": 1024}]}))
    data = tmp_path / "data"
    e = Emu("--data", str(data), "--config", str(config))
    try:
        s3 = client(e)
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert "sealed" in names and "capped" in names
        plaintext = b"the plaintext marker 0123456789" * 100
        s3.put_object(Bucket="sealed", Key="k", Body=plaintext)
        assert s3.get_object(Bucket="sealed", Key="k")["Body"].read() == plaintext
        blobs = [p for p in (data / "blobs").rglob("*") if p.is_file()]
        assert blobs and all(b"plaintext marker" not in p.read_bytes() for p in blobs)
        s3.put_object(Bucket="capped", Key="small", Body=b"x" * 1024)
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket="capped", Key="big", Body=b"x" * 1025)
        assert code(exc) == "EntityTooLarge"
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket="sealed")
        assert code(exc) == "BucketAlreadyOwnedByYou"
    finally:
        e.stop()
