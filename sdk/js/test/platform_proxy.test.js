// getPlatformProxy over era-emu: a wrangler.jsonc / wrangler.toml with KV, R2 and D1 bindings,
// vars, environments and D1 migrations (applied once each, as `wrangler d1 migrations apply
// --local`), and a small Worker's fetch handler run against the env it returns.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { getPlatformProxy, KVNamespace, R2Bucket, D1Database } = require('../platform.js');
const { parseToml } = require('../wrangler_config.js');
const { emulatorForFile, uniqueNs } = require('../testing/emulator.js');

emulatorForFile(test);

function project(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'era-wrangler-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

// The Worker under test: counts visits per user in D1, caches the count in KV, stores a receipt in R2.
const worker = {
  async fetch(request, env) {
    const user = new URL(request.url).searchParams.get('user');
    await env.DB.prepare('INSERT INTO visits (user) VALUES (?)').bind(user).run();
    const n = await env.DB.prepare('SELECT count(*) AS n FROM visits WHERE user = ?').bind(user).first('n');
    await env.CACHE.put(`count:${user}`, String(n), { expirationTtl: 60 });
    await env.RECEIPTS.put(`${user}/${n}.json`, JSON.stringify({ user, n }), { httpMetadata: { contentType: 'application/json' } });
    return new Response(`${env.GREETING}, ${user} (${n})`);
  },
};

test('wrangler.jsonc: bindings, vars and migrations; a Worker runs against env', async () => {
  const kv = uniqueNs();
  const bucket = uniqueNs();
  const db = uniqueNs();
  const dir = project({
    'wrangler.jsonc': `{
      // a comment, as wrangler allows
      "name": "visits",
      "vars": { "GREETING": "Hello", "LIMITS": { "max": 3 } },
      "kv_namespaces": [{ "binding": "CACHE", "id": "${kv}" }],
      "r2_buckets": [{ "binding": "RECEIPTS", "bucket_name": "${bucket}" }],
      "d1_databases": [{ "binding": "DB", "database_name": "${db}", "database_id": "x-y" }],
    }`,
    'migrations/0001_visits.sql': 'CREATE TABLE visits (id INTEGER PRIMARY KEY, user TEXT NOT NULL);\n',
    'migrations/0002_index.sql': '-- an index\nCREATE INDEX visits_user ON visits (user);\n',
  });
  const { env, dispose } = await getPlatformProxy({ configPath: path.join(dir, 'wrangler.jsonc') });
  assert.ok(env.CACHE instanceof KVNamespace);
  assert.ok(env.RECEIPTS instanceof R2Bucket);
  assert.ok(env.DB instanceof D1Database);
  assert.deepEqual(env.LIMITS, { max: 3 });
  const res = await worker.fetch(new Request('http://w/?user=ann'), env);
  assert.equal(await res.text(), 'Hello, ann (1)');
  await worker.fetch(new Request('http://w/?user=ann'), env);
  assert.equal(await env.CACHE.get('count:ann'), '2');
  assert.deepEqual(await (await env.RECEIPTS.get('ann/2.json')).json(), { user: 'ann', n: 2 });
  const applied = await env.DB.prepare('SELECT name FROM d1_migrations ORDER BY id').raw();
  assert.deepEqual(applied, [['0001_visits.sql'], ['0002_index.sql']]);
  await dispose();

  // A second start applies nothing twice; a new file is applied once.
  fs.writeFileSync(path.join(dir, 'migrations/0003_more.sql'), 'ALTER TABLE visits ADD COLUMN at TEXT;');
  const again = await getPlatformProxy({ configPath: path.join(dir, 'wrangler.jsonc') });
  assert.equal((await again.env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first('n')), 3);
  assert.equal(await again.env.DB.prepare('SELECT count(*) AS n FROM visits').first('n'), 2);

  // A failing migration stops with its name and leaves nothing of itself.
  fs.writeFileSync(path.join(dir, 'migrations/0004_bad.sql'), 'CREATE TABLE ok (x);\nINSERT INTO nope VALUES (1);');
  await assert.rejects(getPlatformProxy({ configPath: path.join(dir, 'wrangler.jsonc') }), /migration 0004_bad\.sql failed: .*no such table: nope/);
  assert.equal(await again.env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ok'").first('n'), 0);
});

test('wrangler.toml with an environment: bindings and vars come from env.<name> only', async () => {
  const prod = uniqueNs();
  const staging = uniqueNs();
  const dir = project({
    'wrangler.toml': `name = "app"
[vars]
MODE = "production"

[[kv_namespaces]]
binding = "KV"
id = "${prod}"

[env.staging]
vars = { MODE = "staging" }
[[env.staging.kv_namespaces]]
binding = "KV"
id = "${staging}"
`,
  });
  const cwd = process.cwd();
  process.chdir(dir); // found in the working directory, as wrangler finds it
  try {
    const p = await getPlatformProxy();
    assert.equal(p.env.MODE, 'production');
    await p.env.KV.put('k', 'prod');
    const s = await getPlatformProxy({ environment: 'staging' });
    assert.equal(s.env.MODE, 'staging');
    assert.equal(await s.env.KV.get('k'), null);
    assert.equal(await new KVNamespace(prod).get('k'), 'prod');
    await assert.rejects(getPlatformProxy({ environment: 'nope' }), /no environment "nope"/);
  } finally {
    process.chdir(cwd);
  }
  await assert.rejects(getPlatformProxy({ configPath: path.join(dir, 'missing.toml') }), /no config file/);
});

test('the TOML reader: strings, numbers, arrays, inline and dotted tables; clear errors', () => {
  const t = parseToml(`a = "x\\ty" # comment
b = 'lit\\n'
c = [1, 2.5,
  -3]
d = { e = true, f.g = "h" }
[t.u]
v = """multi
line"""
[[arr]]
x = 1
[[arr]]
x = 2
`);
  assert.deepEqual(t, { a: 'x\ty', b: 'lit\\n', c: [1, 2.5, -3], d: { e: true, f: { g: 'h' } }, t: { u: { v: 'multi\nline' } }, arr: [{ x: 1 }, { x: 2 }] });
  assert.deepEqual(parseToml('compatibility_date = 2026-11-01\nat = 1979-05-27T07:32:00Z'), { compatibility_date: '2026-11-01', at: '1979-05-27T07:32:00Z' });
  assert.throws(() => parseToml('a = 1\na = 2'), /:2: key a defined twice/);
  assert.throws(() => parseToml('a = "open'), /unterminated string/);
  assert.throws(() => parseToml('a = 1 b'), /expected the end of the line/);
});
