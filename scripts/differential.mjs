#!/usr/bin/env node
// Differential probes (issue 18): the same Workers-binding calls against era-emu (through
// era-storage/platform) and, when the npm package `miniflare` can be found, against Miniflare 4
// (real workerd bindings), each compared with the production behaviour Cloudflare documents.
//
//   node scripts/differential.mjs                 # starts a --memory era-emu (build/era-emu or $ERA_EMU_BIN)
//   node scripts/differential.mjs --markdown      # the table for docs/semantics.md
//   MINIFLARE_DIR=/path/with/node_modules node scripts/differential.mjs
//
// Exit status: 0 when era-emu matches production on every probe, 1 otherwise (Miniflare's
// column is information only).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { KVNamespace, R2Bucket, D1Database } = require('../sdk/js/platform.js');
const { startEmulator } = require('../sdk/js/testing/emulator.js');
const markdown = process.argv.includes('--markdown');

// ---------------------------------------------------------------- probes
// Each: id (issue 18 item), what, production (the documented behaviour, as a short string), the
// source, and run(env) → the observed short string. `env` has KV, R2, DB bindings.

const text = async (p) => {
  try {
    return await p;
  } catch (e) {
    return `throws ${e.name === 'TypeError' ? 'TypeError' : 'Error'}: ${String(e.message).slice(0, 60)}`;
  }
};

const probes = [
  {
    id: 1, what: 'D1 exec: INSERT x; INSERT y; INSERT x into a UNIQUE column leaves …',
    production: '0 rows', source: 'D1 exec() is one unit (issue 18 from production)',
    run: async ({ DB }) => {
      await DB.prepare('CREATE TABLE IF NOT EXISTS p1 (v TEXT UNIQUE)').run();
      await DB.exec("INSERT INTO p1 VALUES ('x'); INSERT INTO p1 VALUES ('y'); INSERT INTO p1 VALUES ('x')").catch(() => {});
      return `${(await DB.prepare('SELECT count(*) AS n FROM p1').first()).n} rows`;
    },
  },
  {
    id: 2, what: 'D1: a 6-term UNION ALL', production: 'error: too many terms in compound SELECT',
    source: 'workerd sqlite.c++ SQLITE_LIMIT_COMPOUND_SELECT 5',
    run: async ({ DB }) => {
      const r = await text(DB.prepare('SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6').all());
      return typeof r === 'string' ? (/too many terms in compound SELECT/.test(r) ? 'error: too many terms in compound SELECT' : r) : `${r.results.length} rows`;
    },
  },
  {
    id: 3, what: 'R2 put with a wrong sha512', production: 'rejected',
    source: 'R2 put() checksums are verified (R2 Workers API)',
    run: async ({ R2 }) => {
      const r = await text(R2.put('p3', 'body', { sha512: 'ab'.repeat(64) }));
      return typeof r === 'string' ? 'rejected' : 'stored';
    },
  },
  {
    id: 5, what: "D1: typeof(?) bound to the number 3", production: 'real',
    source: 'D1 type conversion: Number → REAL (workerd)',
    run: async ({ DB }) => (await DB.prepare('SELECT typeof(?) AS t').bind(3).first()).t,
  },
  {
    id: 6, what: 'R2 get, If-Unmodified-Since = the upload second', production: 'precondition failed (no body)',
    source: 'R2 onlyIf uploadedBefore is strict (workerd)',
    run: async ({ R2 }) => {
      const put = await R2.put('p6', 'body');
      const second = new Date(Math.floor(put.uploaded.getTime() / 1000) * 1000);
      const got = await R2.get('p6', { onlyIf: { uploadedBefore: second } });
      return got && 'body' in got ? 'served' : 'precondition failed (no body)';
    },
  },
  {
    id: 8, what: 'D1: a UNIQUE violation\'s message ends with', production: '(extended: SQLITE_CONSTRAINT_UNIQUE)',
    source: 'workerd dbErrorMessage',
    run: async ({ DB }) => {
      await DB.prepare('CREATE TABLE IF NOT EXISTS p8 (v TEXT UNIQUE)').run();
      await DB.prepare("INSERT OR IGNORE INTO p8 VALUES ('a')").run();
      const e = await DB.prepare("INSERT INTO p8 VALUES ('a')").run().then(() => 'inserted', (err) => String(err.message));
      const m = /\(extended: [A-Z_]+\)$/.exec(e);
      return m ? m[0] : 'no extended code';
    },
  },
  {
    id: 9, what: 'R2 multipart: complete parts listed 2, 1', production: 'completes',
    source: 'workerd R2MultipartUpload.complete',
    run: async ({ R2 }) => {
      const up = await R2.createMultipartUpload('p9');
      const p1 = await up.uploadPart(1, 'a'.repeat(5 * 1024 * 1024));
      const p2 = await up.uploadPart(2, 'tail');
      const r = await text(up.complete([p2, p1]));
      return typeof r === 'string' ? 'refused' : 'completes';
    },
  },
  {
    id: 9.1, what: 'R2 multipart: complete with no parts', production: 'a 0-byte object',
    source: 'workerd R2MultipartUpload.complete',
    run: async ({ R2 }) => {
      const up = await R2.createMultipartUpload('p9b');
      const r = await text(up.complete([]));
      return typeof r === 'string' ? 'refused' : `a ${r.size}-byte object`;
    },
  },
  {
    id: 9.2, what: 'R2 multipart: abort twice', production: 'both succeed',
    source: 'workerd R2MultipartUpload.abort',
    run: async ({ R2 }) => {
      const up = await R2.createMultipartUpload('p9c');
      await up.abort();
      const r = await text(up.abort());
      return typeof r === 'string' ? 'second refused' : 'both succeed';
    },
  },
  {
    id: 10, what: "D1: SELECT concat('a', 'b')", production: 'ab', source: 'SQLite ≥ 3.44 (D1 runs a current SQLite)',
    run: async ({ DB }) => {
      const r = await text(DB.prepare("SELECT concat('a', 'b') AS v").first());
      return typeof r === 'string' ? (/no such function/.test(r) ? 'no such function' : r) : r.v;
    },
  },
  {
    id: 11, what: 'KV put of the number 123, read back', production: '"123"', source: 'workerd kv.h PutBody OneOf<kj::String, JsObject>',
    run: async ({ KV }) => {
      const r = await text(KV.put('p11', 123));
      return typeof r === 'string' ? 'refused' : JSON.stringify(await KV.get('p11'));
    },
  },
  {
    id: 11.1, what: 'R2 customMetadata {n: 1}, read back', production: '{"n":"1"}', source: 'JSG Record<string,string> coercion',
    run: async ({ R2 }) => {
      const r = await text(R2.put('p11b', 'x', { customMetadata: { n: 1 } }));
      return typeof r === 'string' ? 'refused' : JSON.stringify((await R2.head('p11b')).customMetadata);
    },
  },
  {
    id: 11.2, what: 'R2 get with a quoted etag in onlyIf.etagMatches', production: 'throws TypeError',
    source: 'workerd r2-bucket.c++ (etags are unquoted)',
    run: async ({ R2 }) => {
      const put = await R2.put('p11c', 'x');
      const r = await text(R2.get('p11c', { onlyIf: { etagMatches: `"${put.etag}"` } }));
      return typeof r === 'string' && r.startsWith('throws TypeError') ? 'throws TypeError' : typeof r === 'string' ? r : 'accepted';
    },
  },
  {
    id: 11.3, what: 'R2 put with sha1 and sha256 together', production: 'throws TypeError', source: 'workerd r2-bucket.c++',
    run: async ({ R2 }) => {
      const r = await text(R2.put('p11d', 'x', { sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) }));
      return typeof r === 'string' && r.startsWith('throws TypeError') ? 'throws TypeError' : typeof r === 'string' ? r : 'accepted';
    },
  },
  {
    id: 12, what: 'R2 get, range {offset: 20, length: 11} of a 10-byte object', production: 'the whole object',
    source: 'workerd R2 (issue 18 from production)',
    run: async ({ R2 }) => {
      await R2.put('p12', '0123456789');
      const r = await text(R2.get('p12', { range: { offset: 20, length: 11 } }));
      if (typeof r === 'string') return 'error';
      const body = await r.text();
      return body === '0123456789' ? 'the whole object' : `"${body}"`;
    },
  },
  {
    id: 13, what: 'KV getWithMetadata has cacheStatus', production: 'yes', source: 'KV getWithMetadata result',
    run: async ({ KV }) => {
      await KV.put('p13', 'v');
      return 'cacheStatus' in (await KV.getWithMetadata('p13')) ? 'yes' : 'no';
    },
  },
  {
    id: 13.1, what: 'R2 list without a delimiter has delimitedPrefixes', production: '[]', source: 'R2Objects',
    run: async ({ R2 }) => JSON.stringify((await R2.list()).delimitedPrefixes),
  },
  {
    id: 7, what: 'D1 meta.rows_read of count(*) over 10 rows', production: '10', source: 'D1 pricing: rows read (issue 18 from production)',
    run: async ({ DB }) => {
      await DB.prepare('CREATE TABLE IF NOT EXISTS p7 (id INTEGER PRIMARY KEY, v TEXT)').run();
      await DB.prepare('DELETE FROM p7').run();
      for (let i = 0; i < 10; i++) await DB.prepare('INSERT INTO p7 (v) VALUES (?)').bind(`v${i}`).run();
      return String((await DB.prepare('SELECT count(*) FROM p7').all()).meta.rows_read);
    },
  },
  {
    id: 7.1, what: 'D1 rows_read of a filtered scan over 10 rows', production: '10', source: 'D1 pricing: rows read (issue 18 from production)',
    run: async ({ DB }) => String((await DB.prepare("SELECT * FROM p7 WHERE v > 'v5'").all()).meta.rows_read),
  },
  {
    id: 7.2, what: 'D1 rows read/written of DELETE by key', production: '1/1', source: 'D1 pricing (issue 18 from production)',
    run: async ({ DB }) => {
      const id = (await DB.prepare('INSERT INTO p7 (v) VALUES (?)').bind('gone').run()).meta.last_row_id;
      const m = (await DB.prepare('DELETE FROM p7 WHERE id = ?').bind(id).run()).meta;
      return `${m.rows_read}/${m.rows_written}`;
    },
  },
  {
    id: 7.3, what: 'D1 rows_written of an insert into a table with a UNIQUE column', production: '2',
    source: 'D1 pricing: "indexes will add an additional written row"',
    run: async ({ DB }) => {
      await DB.prepare('CREATE TABLE IF NOT EXISTS p73 (id INTEGER PRIMARY KEY, email TEXT UNIQUE)').run();
      return String((await DB.prepare('INSERT INTO p73 (email) VALUES (?)').bind(`e${Date.now()}`).run()).meta.rows_written);
    },
  },
];

// ---------------------------------------------------------------- backends

async function eraEnv() {
  const emu = await startEmulator({ args: ['--kv-propagation', '0'] });
  const conn = { url: emu.url };
  return { env: { KV: new KVNamespace('diff-kv', conn), R2: new R2Bucket('diff-r2', conn), DB: new D1Database('diff-d1', conn) }, close: () => emu.stop() };
}

async function miniflareEnv() {
  let Miniflare;
  const from = [process.env.MINIFLARE_DIR, path.join(here, '../fixtures/jest'), process.cwd()].filter(Boolean);
  for (const dir of from) {
    try {
      ({ Miniflare } = createRequire(path.join(dir, 'package.json'))('miniflare'));
      break;
    } catch {
      /* not there */
    }
  }
  if (!Miniflare) return null;
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response("ok"); } }',
    kvNamespaces: ['KV'],
    r2Buckets: ['R2'],
    d1Databases: ['DB'],
  });
  const env = await mf.getBindings();
  return { env, close: () => mf.dispose() };
}

// ---------------------------------------------------------------- run

async function runAll(backend) {
  const out = [];
  for (const p of probes) {
    let got;
    try {
      got = await p.run(backend.env);
    } catch (e) {
      got = `probe failed: ${e.message}`;
    }
    out.push(String(got));
  }
  return out;
}

const era = await eraEnv();
const eraResults = await runAll(era).finally(() => era.close());
let mf = null;
try {
  mf = await miniflareEnv();
} catch (e) {
  console.error(`miniflare found but did not start: ${e.message}`);
}
const mfResults = mf ? await runAll(mf).finally(() => mf.close()) : null;

const rows = probes.map((p, i) => ({
  item: p.id, what: p.what, production: p.production, source: p.source,
  era: eraResults[i], eraOk: eraResults[i] === p.production,
  mf: mfResults ? mfResults[i] : null, mfOk: mfResults ? mfResults[i] === p.production : null,
}));
const mark = (ok) => (ok === null ? '' : ok ? '✓' : '✗');
if (markdown) {
  console.log(`| item | probe | production (documented) | era-emu | ${mfResults ? 'Miniflare 4' : 'Miniflare (not installed)'} |`);
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.item} | ${r.what} | ${r.production} | ${mark(r.eraOk)} ${r.era} | ${mfResults ? `${mark(r.mfOk)} ${r.mf}` : '—'} |`);
} else {
  for (const r of rows) {
    console.log(`${r.eraOk ? 'match    ' : 'DEVIATES '} [${r.item}] ${r.what}\n           production: ${r.production} (${r.source})\n           era-emu:    ${r.era}` +
      (mfResults ? `\n           miniflare:  ${r.mf}${r.mfOk ? '' : '  (deviates)'}` : ''));
  }
  if (!mfResults) console.log('\n(miniflare not installed: `npm install miniflare` in fixtures/jest, or set MINIFLARE_DIR, to compare)');
}
const deviations = rows.filter((r) => !r.eraOk).length;
console.error(`${rows.length - deviations} of ${rows.length} probes match production on era-emu${mfResults ? `; Miniflare matches ${rows.filter((r) => r.mfOk).length}` : ''}`);
process.exit(deviations ? 1 : 0);
