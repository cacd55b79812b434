#!/usr/bin/env python3
"""Thousands of idle keep-alive connections and slow-drip clients vs one normal client.

Starts `era-emu up --memory --port 0`, opens IDLE keep-alive connections (each has made one
request and stays open) and SLOW connections that send a request head one byte per second, then
times a normal client's KV gets on its own keep-alive connection and reports p50/p99 and the
server's RSS. Usage: bench/idle_connections.py [--bin build/era-emu] [--idle 10000] [--slow 200]
"""
import argparse, os, resource, selectors, socket, statistics, subprocess, sys, threading, time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed")
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    while len(body) < n:
        body += s.recv(65536)
    return head.split(b" ")[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/era-emu")
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--gets", type=int, default=2000)
    a = ap.parse_args()
    want = a.idle + a.slow + 100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, want), hard), hard))

    p = subprocess.Popen([a.bin, "up", "--memory", "--port", "0", "--log-level", "warn"],
                         stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().strip().rsplit(":", 1)[1])
    try:
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(b"PUT /api/storage/kv/app/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 15\r\n\r\n"
                  b'{"value":"one"}')
        assert read_response(c) == b"200"
        rss0 = rss_mib(p.pid)

        def timed_gets(n):
            out = []
            for _ in range(n):
                t = time.perf_counter()
                c.sendall(b"GET /api/storage/kv/app/k HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert read_response(c) == b"200"
                out.append((time.perf_counter() - t) * 1000)
            out.sort()
            return out[len(out) // 2], out[int(len(out) * 0.99)]

        base = timed_gets(a.gets)
        idle = []
        t0 = time.time()
        for i in range(a.idle):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /_emu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            idle.append(s)
            if len(idle) % 500 == 0:  # read the answers in batches so the backlog stays small
                for q in idle[-500:]:
                    read_response(q)
        for q in idle[len(idle) - len(idle) % 500:]:
            read_response(q)
        opened = time.time() - t0
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(a.slow)]
        head = b"GET /api/storage/kv/app/k HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200
        stop = threading.Event()

        def drip():
            i = 0
            while not stop.is_set() and i < len(head):
                for s in slow:
                    try:
                        s.send(head[i:i + 1])
                    except OSError:
                        pass
                i += 1
                stop.wait(1.0)
        threading.Thread(target=drip, daemon=True).start()
        time.sleep(1.5)
        loaded = timed_gets(a.gets)
        rss = rss_mib(p.pid)
        stop.set()
        alive = sum(1 for s in idle if s.fileno() >= 0)
        print(f"idle connections: {a.idle} (opened in {opened:.1f} s), slow-drip: {a.slow}")
        print(f"KV get alone:           p50 {base[0]:.3f} ms  p99 {base[1]:.3f} ms")
        print(f"KV get with them open:  p50 {loaded[0]:.3f} ms  p99 {loaded[1]:.3f} ms")
        print(f"RSS: {rss0:.1f} MiB before, {rss:.1f} MiB with {a.idle + a.slow} connections open")
        ok = loaded[1] <= 5.0 and rss <= 100
        print("target (p99 <= 5 ms, RSS <= 100 MiB):", "PASS" if ok else "MISS")
        for s in idle + slow:
            s.close()
        return 0
    finally:
        p.terminate()
        p.wait(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
