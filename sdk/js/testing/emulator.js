// Test support: start a real era-emu for integration tests, and an in-process stub server
// that records raw requests for unit tests. Kept outside test/ so `node --test` does not
// run it as a test file.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const REPO = path.resolve(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 30000;

function emulatorBinary() {
  return process.env.ERA_EMU_BIN || path.join(REPO, 'build', 'era-emu');
}

/**
 * Start `era-emu up --memory --port 0` (127.0.0.1), wait (bounded) for its
 * `ERA_STORAGE_URL=...` line. `env` entries are added to the child's environment; an
 * `undefined` value removes one. Returns { url, proc, logPath, stop(), control(), advance() }.
 */
async function startEmulator({ args = [], env = {} } = {}) {
  const bin = emulatorBinary();
  if (!fs.existsSync(bin)) {
    throw new Error(`era-emu binary not found at ${bin}: build it (scripts/dev build) or set ERA_EMU_BIN`);
  }
  const childEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const logPath = path.join(os.tmpdir(), `era-emu-js-${process.pid}-${crypto.randomBytes(3).toString('hex')}.log`);
  const log = fs.openSync(logPath, 'w');
  const proc = spawn(bin, ['up', '--memory', '--port', '0', ...args], { stdio: ['ignore', 'pipe', log], env: childEnv });
  fs.closeSync(log);
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`era-emu printed no ERA_STORAGE_URL within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    function fail(err) {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      let tail = '';
      try {
        tail = fs.readFileSync(logPath, 'utf8').slice(-4000);
      } catch {}
      reject(new Error(`${err.message}\nlog:\n${tail}`));
    }
    proc.once('exit', (code) => fail(new Error(`era-emu exited early with ${code}`)));
    proc.stdout.on('data', (chunk) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl).trim();
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      if (!line.startsWith('ERA_STORAGE_URL=')) return fail(new Error(`unexpected first line: ${line}`));
      resolve(line.slice('ERA_STORAGE_URL='.length));
    });
  });
  proc.stdout.resume(); // keep draining
  const emu = {
    url,
    proc,
    logPath,
    async control(method, urlPath, body) {
      const res = await fetch(url + urlPath, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${urlPath} -> ${res.status} ${text}`);
      return text ? JSON.parse(text) : {};
    },
    /** Move the virtual clock forward (never sleep for TTLs). */
    advance(ms) {
      return this.control('POST', '/_emu/time', { advance_ms: ms });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    },
  };
  return emu;
}

/**
 * Start the emulator for one test file: sets ERA_STORAGE_URL (and clears ERA_EMU_TOKEN /
 * ERA_LOCATION) for the default client. Use with node:test's before/after.
 */
async function useEmulator() {
  const emu = await startEmulator({ env: { ERA_EMU_TOKEN: undefined } });
  process.env.ERA_STORAGE_URL = emu.url;
  delete process.env.ERA_EMU_TOKEN;
  delete process.env.ERA_LOCATION;
  return emu;
}

/**
 * node:test hooks for a whole test file: era-emu starts before its tests (useEmulator) and stops
 * after; `{ frozen: true }` freezes its virtual clock first. Returns a holder whose `emu` is set
 * once started.
 */
function emulatorForFile(test, { frozen = false } = {}) {
  const holder = { emu: null };
  test.before(async () => {
    holder.emu = await useEmulator();
    if (frozen) await holder.emu.control('POST', '/_emu/time', { freeze: true });
  });
  test.after(async () => {
    if (holder.emu) await holder.emu.stop();
  });
  return holder;
}

/** A namespace unique to one test. */
function uniqueNs() {
  return `t${crypto.randomBytes(6).toString('hex')}`;
}

/** A TCP port on 127.0.0.1 with nothing listening. */
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * In-process HTTP stub on 127.0.0.1:0. `requests` holds {method, path (raw), headers, body};
 * queue replies with reply(status, body, headers) or replyWith(fn).
 */
async function startStub() {
  const state = {
    url: '',
    requests: [],
    replies: [],
    reply(status, body, headers = {}) {
      let raw = body;
      if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) {
        raw = JSON.stringify(body);
        headers = { 'content-type': 'application/json', ...headers };
      }
      this.replies.push({ status, headers, raw: raw === undefined ? '' : raw });
    },
    replyWith(fn) {
      this.replies.push(fn);
    },
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const rec = { method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      rec.json = () => JSON.parse(rec.body.toString());
      state.requests.push(rec);
      let reply = state.replies.length ? state.replies.shift() : { status: 200, headers: { 'content-type': 'application/json' }, raw: '{"success":true}' };
      if (typeof reply === 'function') reply = await reply(rec);
      res.writeHead(reply.status, reply.headers);
      res.end(req.method === 'HEAD' ? undefined : reply.raw);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  });
  return state;
}

module.exports = { startEmulator, useEmulator, emulatorForFile, uniqueNs, closedPort, startStub, emulatorBinary, REPO };
