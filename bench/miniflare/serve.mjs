// Starts Miniflare 4 with the ERA proxy worker (era-proxy.mjs) on 127.0.0.1:<port>, storage
// persisted under <dir> (as `era-emu --data`), and prints READY <url> — the anchor for
// `scripts/bench --against miniflare`. Needs the npm package `miniflare` (bench installs it).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [modulesDir, dir, port] = process.argv.slice(2);
const { Miniflare } = createRequire(path.join(modulesDir, 'package.json'))('miniflare');
const here = path.dirname(fileURLToPath(import.meta.url));
const mf = new Miniflare({
  modules: true,
  script: readFileSync(path.join(here, 'era-proxy.mjs'), 'utf8'),
  host: '127.0.0.1',
  port: Number(port),
  kvNamespaces: ['ERA_KV'],
  d1Databases: ['ERA_D1'],
  r2Buckets: ['ERA_R2'],
  durableObjects: { STORAGE_REGISTRY: 'StorageRegistry' },
  kvPersist: path.join(dir, 'kv'),
  d1Persist: path.join(dir, 'd1'),
  r2Persist: path.join(dir, 'r2'),
  durableObjectsPersist: path.join(dir, 'do'),
});
const url = await mf.ready;
console.log(`READY ${url.href.replace(/\/$/, '')}`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
