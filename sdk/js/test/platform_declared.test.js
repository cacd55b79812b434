// The emulator and getPlatformProxy() on the same wrangler file: `era-emu up --config
// wrangler.jsonc --strict` declares each binding's store under the name the proxy uses and
// applies the D1 migrations into the same d1_migrations table, so the proxy applies nothing twice
// and a binding the file does not declare is refused.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { getPlatformProxy, KVNamespace } = require('../platform.js');
const { startEmulator } = require('../testing/emulator.js');

const configPath = path.join(__dirname, '../../../fixtures/jest/examples/worker/wrangler.jsonc');

test('era-emu up --config wrangler.jsonc --strict, then getPlatformProxy on the same file', async () => {
  const emu = await startEmulator({ args: ['--config', configPath, '--strict'] });
  try {
    const config = await emu.control('GET', '/_emu/config');
    assert.equal(config.wrangler, configPath);
    assert.deepEqual(config.kv.map((k) => k.name), ['worker-cache']);
    assert.deepEqual(config.buckets.map((b) => b.name), ['worker-receipts']);
    assert.deepEqual(config.d1.map((d) => d.name), ['worker-db']);

    const { env } = await getPlatformProxy({ configPath, url: emu.url });
    // Applied once, by the emulator at start; the proxy found it applied.
    assert.deepEqual(await env.DB.prepare('SELECT name FROM d1_migrations').raw(), [['0001_visits.sql']]);
    await env.CACHE.put('k', 'v');
    assert.equal(await env.CACHE.get('k'), 'v');
    // --strict: a store the wrangler file does not declare is refused.
    await assert.rejects(new KVNamespace('undeclared', { url: emu.url }).put('k', 'v'), /404/);
  } finally {
    await emu.stop();
  }
});
