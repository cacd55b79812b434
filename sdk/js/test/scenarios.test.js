// The usage scenarios of the original ERA storage SDK documentation, as integration tests
// against a real era-emu, through the legacy static classes (KVStorage, D1Storage,
// R2Storage). Each asserts results, not just "no exception".
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { KVStorage, D1Storage, R2Storage, ResourceRegistry, Client, StorageError, StorageConnectionError } = require('../era_storage.js');
const { useEmulator, uniqueNs, closedPort } = require('../testing/emulator.js');

let emu;
test.before(async () => {
  emu = await useEmulator();
});
test.after(async () => {
  if (emu) await emu.stop();
});

async function collect(iter) {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

test('user profiles & settings', async () => {
  const ns = uniqueNs();
  const profile = { name: 'Alice', email: 'alice@example.com', preferences: { theme: 'dark', notifications: true } };
  assert.equal(await KVStorage.set(ns, 'user:alice', JSON.stringify(profile)), true);
  assert.equal(await KVStorage.set(ns, 'user:bob', JSON.stringify({ name: 'Bob' }), { plan: 'pro' }), true);
  assert.equal(await KVStorage.set(ns, 'settings:alice', JSON.stringify({ lang: 'en' })), true);

  assert.deepEqual(JSON.parse(await KVStorage.get(ns, 'user:alice')), profile);
  profile.preferences.theme = 'light';
  await KVStorage.set(ns, 'user:alice', JSON.stringify(profile));
  assert.equal(JSON.parse(await KVStorage.get(ns, 'user:alice')).preferences.theme, 'light');

  const users = await KVStorage.list(ns, 'user:');
  assert.deepEqual(users.map((k) => k.name).sort(), ['user:alice', 'user:bob']);
  assert.deepEqual(users.find((k) => k.name === 'user:bob').metadata, { plan: 'pro' });
  assert.equal(await KVStorage.get(ns, 'user:nobody'), null);
});

test('todo app', async () => {
  const ns = uniqueNs();
  await D1Storage.exec(ns, `CREATE TABLE IF NOT EXISTS todos (
      id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,
      completed INTEGER DEFAULT 0, created_at TEXT DEFAULT CURRENT_TIMESTAMP)`);
  const ids = [];
  for (const title of ['Buy milk', 'Write tests', 'Ship it']) {
    const res = await D1Storage.exec(ns, 'INSERT INTO todos (title) VALUES (?)', [title]);
    assert.equal(res.success, true);
    assert.equal(res.meta.changes, 1);
    ids.push(res.meta.last_row_id);
  }
  assert.equal(new Set(ids).size, 3);
  assert.equal((await D1Storage.exec(ns, 'UPDATE todos SET completed = 1 WHERE id = ?', [ids[1]])).meta.changes, 1);
  const todos = await D1Storage.query(ns, 'SELECT title, completed FROM todos ORDER BY id');
  assert.deepEqual(todos, [
    { title: 'Buy milk', completed: 0 },
    { title: 'Write tests', completed: 1 },
    { title: 'Ship it', completed: 0 },
  ]);
  const pending = await D1Storage.query(ns, 'SELECT title FROM todos WHERE completed = ? ORDER BY id', [0]);
  assert.deepEqual(pending.map((t) => t.title), ['Buy milk', 'Ship it']);
  assert.equal((await D1Storage.exec(ns, 'DELETE FROM todos WHERE completed = 1')).meta.changes, 1);
  assert.deepEqual(await D1Storage.query(ns, 'SELECT COUNT(*) AS n FROM todos'), [{ n: 2 }]);
});

test('file upload & management', async () => {
  const ns = uniqueNs();
  const doc = Buffer.from('%PDF-1.4 fake pdf \x00\x01\x02', 'latin1');
  const image = Buffer.alloc(10240, 0).map((_, i) => i % 256);
  assert.equal(await R2Storage.put(ns, 'documents/report.pdf', doc, { author: 'alice', type: 'pdf' }), true);
  assert.equal(await R2Storage.put(ns, 'images/logo.png', image, { type: 'png' }), true);
  assert.equal(await R2Storage.put(ns, 'images/banner.png', image.subarray(0, 100)), true);
  assert.equal(await R2Storage.put(ns, 'notes/readme.txt', 'plain text content'), true);

  assert.deepEqual(await R2Storage.get(ns, 'documents/report.pdf'), doc);
  assert.deepEqual(await R2Storage.get(ns, 'images/logo.png'), image);
  assert.equal((await R2Storage.get(ns, 'notes/readme.txt')).toString(), 'plain text content');

  const images = await R2Storage.list(ns, 'images/');
  assert.deepEqual(images.map((o) => [o.key, o.size]).sort(), [['images/banner.png', 100], ['images/logo.png', image.length]]);
  assert.ok(images.every((o) => typeof o.uploaded === 'string'));

  const head = await R2Storage.head(ns, 'documents/report.pdf');
  assert.equal(head.size, doc.length);
  assert.deepEqual(head.customMetadata, { author: 'alice', type: 'pdf' });

  assert.equal(await R2Storage.delete(ns, 'images/banner.png'), true);
  assert.equal(await R2Storage.get(ns, 'images/banner.png'), null);
  assert.deepEqual((await R2Storage.list(ns, 'images/')).map((o) => o.key), ['images/logo.png']);
});

test('caching with KV', async () => {
  const ns = uniqueNs();
  const calls = [];
  const expensive = async (id) => {
    calls.push(id);
    return { user: id, score: 42 };
  };
  const cached = async (id) => {
    const hit = await KVStorage.get(ns, `cache:${id}`);
    if (hit !== null) return JSON.parse(hit);
    const value = await expensive(id);
    await KVStorage.set(ns, `cache:${id}`, JSON.stringify(value), null, { ttl: 300 });
    return value;
  };
  assert.deepEqual(await cached('u1'), { user: 'u1', score: 42 });
  assert.deepEqual(await cached('u1'), { user: 'u1', score: 42 });
  assert.deepEqual(calls, ['u1']);

  const entry = await KVStorage.getWithMetadata(ns, 'cache:u1');
  assert.ok(entry.expiration >= Math.floor(Date.now() / 1000) + 250);

  await emu.advance(301_000);
  assert.equal(await KVStorage.get(ns, 'cache:u1'), null);
  await cached('u1');
  assert.deepEqual(calls, ['u1', 'u1']);
  await KVStorage.delete(ns, 'cache:u1');
  await cached('u1');
  assert.deepEqual(calls, ['u1', 'u1', 'u1']);
});

test('multi-app services', async () => {
  const ns = uniqueNs();
  const shop = `${ns}-shop`;
  const blog = `${ns}-blog`;
  await KVStorage.set(shop, 'config', JSON.stringify({ currency: 'EUR' }));
  await KVStorage.set(blog, 'config', JSON.stringify({ theme: 'minimal' }));
  await D1Storage.exec(shop, 'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)');
  await D1Storage.exec(blog, 'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, slug TEXT)');
  await D1Storage.exec(shop, 'INSERT INTO items (name) VALUES (?)', ['widget']);
  await D1Storage.exec(blog, 'INSERT INTO items (slug) VALUES (?)', ['hello-world']);
  await R2Storage.put(shop, 'assets/logo.txt', 'shop logo');
  await R2Storage.put(blog, 'assets/logo.txt', 'blog logo');

  assert.deepEqual(JSON.parse(await KVStorage.get(shop, 'config')), { currency: 'EUR' });
  assert.deepEqual(JSON.parse(await KVStorage.get(blog, 'config')), { theme: 'minimal' });
  assert.deepEqual(await D1Storage.query(shop, 'SELECT name FROM items'), [{ name: 'widget' }]);
  assert.deepEqual(await D1Storage.query(blog, 'SELECT slug FROM items'), [{ slug: 'hello-world' }]);
  assert.equal((await R2Storage.get(shop, 'assets/logo.txt')).toString(), 'shop logo');
  assert.equal((await R2Storage.get(blog, 'assets/logo.txt')).toString(), 'blog logo');
});

test('complete blog system', async () => {
  const ns = uniqueNs();
  await D1Storage.exec(ns, `CREATE TABLE IF NOT EXISTS posts (
      id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, slug TEXT UNIQUE NOT NULL,
      body TEXT, author TEXT, published INTEGER DEFAULT 0, created_at TEXT DEFAULT CURRENT_TIMESTAMP)`);
  await D1Storage.exec(ns, `CREATE TABLE IF NOT EXISTS comments (
      id INTEGER PRIMARY KEY AUTOINCREMENT, post_id INTEGER NOT NULL REFERENCES posts(id),
      author TEXT, body TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)`);
  await D1Storage.exec(ns, 'CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY)'); // idempotent schema

  const ids = {};
  for (const [slug, title, published] of [['hello', 'Hello World', 1], ['draft', 'Draft', 0], ['second', 'Second Post', 1]]) {
    const res = await D1Storage.exec(ns, 'INSERT INTO posts (title, slug, body, author, published) VALUES (?, ?, ?, ?, ?)', [title, slug, `Body of ${title}`, 'alice', published]);
    ids[slug] = res.meta.last_row_id;
  }
  for (const [author, body] of [['bob', 'Nice!'], ['carol', 'Thanks'], ['dave', '+1']]) {
    await D1Storage.exec(ns, 'INSERT INTO comments (post_id, author, body) VALUES (?, ?, ?)', [ids.hello, author, body]);
  }
  await D1Storage.exec(ns, 'INSERT INTO comments (post_id, author, body) VALUES (?, ?, ?)', [ids.second, 'erin', 'Great']);

  const published = await D1Storage.query(ns, `SELECT p.slug, COUNT(c.id) AS comments FROM posts p
      LEFT JOIN comments c ON c.post_id = p.id WHERE p.published = 1 GROUP BY p.id ORDER BY p.id`);
  assert.deepEqual(published, [{ slug: 'hello', comments: 3 }, { slug: 'second', comments: 1 }]);
  const thread = await D1Storage.query(ns, 'SELECT author FROM comments WHERE post_id = ? ORDER BY id', [ids.hello]);
  assert.deepEqual(thread.map((c) => c.author), ['bob', 'carol', 'dave']);

  for (let i = 0; i < 3; i++) {
    const views = Number((await KVStorage.get(ns, 'views:hello')) || 0);
    await KVStorage.set(ns, 'views:hello', String(views + 1));
  }
  assert.equal(await KVStorage.get(ns, 'views:hello'), '3');
  await R2Storage.put(ns, 'covers/hello.jpg', Buffer.from([0xff, 0xd8, 0xff, 1, 2]), { post: 'hello' });
  assert.deepEqual(await R2Storage.get(ns, 'covers/hello.jpg'), Buffer.from([0xff, 0xd8, 0xff, 1, 2]));

  assert.equal((await D1Storage.exec(ns, 'UPDATE posts SET published = 1 WHERE slug = ?', ['draft'])).meta.changes, 1);
  await D1Storage.exec(ns, 'DELETE FROM comments WHERE post_id = ?', [ids.second]);
  await D1Storage.exec(ns, 'DELETE FROM posts WHERE id = ?', [ids.second]);
  assert.deepEqual((await D1Storage.query(ns, 'SELECT slug FROM posts WHERE published = 1 ORDER BY id')).map((p) => p.slug), ['hello', 'draft']);
  assert.deepEqual(await D1Storage.query(ns, 'SELECT COUNT(*) AS n FROM comments'), [{ n: 3 }]);
});

test('resource discovery', async () => {
  const ns = uniqueNs();
  await KVStorage.set(ns, 'cfg:a', '12345');
  await KVStorage.set(ns, 'cfg:b', 'x');
  await R2Storage.put(ns, 'files/one.bin', Buffer.from('0123456789'));
  await D1Storage.exec(ns, 'CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY)');

  const listing = await ResourceRegistry.list({ namespace: ns });
  const found = listing.resources.map((r) => `${r.type}:${r.key}`);
  for (const want of ['kv:cfg:a', 'kv:cfg:b', 'r2:files/one.bin']) assert.ok(found.includes(want), `${want} in ${found}`);
  assert.ok(listing.resources.some((r) => r.type === 'd1' && r.key.includes('events')));
  assert.equal(listing.total, listing.resources.length);
  assert.equal(listing.has_more, false);
  for (const r of listing.resources) {
    assert.equal(r.namespace, ns);
    assert.ok(r.created_at && r.updated_at);
  }
  const sizes = Object.fromEntries(listing.resources.map((r) => [r.key, r.size]));
  assert.equal(sizes['cfg:a'], 5);
  assert.equal(sizes['files/one.bin'], 10);

  const kvOnly = await ResourceRegistry.list({ type: 'kv', namespace: ns, key_prefix: 'cfg:' });
  assert.deepEqual(kvOnly.resources.map((r) => r.key).sort(), ['cfg:a', 'cfg:b']);
  const paged = await ResourceRegistry.list({ namespace: ns, limit: 1, offset: 0 });
  assert.equal(paged.resources.length, 1);
  assert.equal(paged.has_more, true);
  assert.equal((await collect(ResourceRegistry.listAll({ namespace: ns }, { pageSize: 1 }))).length, listing.total);

  const stats = await ResourceRegistry.stats();
  assert.equal(stats.by_namespace[ns], listing.total);
  assert.ok(stats.total >= listing.total);
  assert.ok(stats.by_type.kv >= 2 && stats.by_type.r2 >= 1);
  assert.ok(stats.total_size >= 16);

  await KVStorage.delete(ns, 'cfg:b');
  assert.deepEqual((await ResourceRegistry.list({ type: 'kv', namespace: ns })).resources.map((r) => r.key), ['cfg:a']);
});

test('namespacing isolates data', async () => {
  const ns = uniqueNs();
  const a = `${ns}a`;
  const b = `${ns}b`;
  await KVStorage.set(a, 'shared-key', 'from a');
  await KVStorage.set(b, 'shared-key', 'from b');
  assert.equal(await KVStorage.get(a, 'shared-key'), 'from a');
  assert.equal(await KVStorage.get(b, 'shared-key'), 'from b');
  assert.deepEqual((await KVStorage.list(a)).map((k) => k.name), ['shared-key']);
  await KVStorage.delete(a, 'shared-key');
  assert.equal(await KVStorage.get(a, 'shared-key'), null);
  assert.equal(await KVStorage.get(b, 'shared-key'), 'from b');

  await R2Storage.put(a, 'f', 'A');
  assert.equal(await R2Storage.get(b, 'f'), null);
  assert.deepEqual(await R2Storage.list(b), []);

  await D1Storage.exec(a, 'CREATE TABLE IF NOT EXISTS t (v TEXT)');
  await D1Storage.exec(a, "INSERT INTO t VALUES ('secret')");
  await assert.rejects(D1Storage.query(b, 'SELECT * FROM t'), (err) => {
    assert.match(err.message, /^D1 query failed: /);
    assert.match(String(err.details || err.message), /no such table/);
    return true;
  });
});

test('error handling', async () => {
  const ns = uniqueNs();
  assert.equal(await KVStorage.get(ns, 'nope'), null);
  assert.equal(await R2Storage.get(ns, 'nope'), null);
  assert.equal(await R2Storage.head(ns, 'nope'), null);
  assert.equal(await KVStorage.delete(ns, 'nope'), true);

  await assert.rejects(D1Storage.query(ns, 'SELEC broken'), (err) => {
    assert.ok(err instanceof StorageError && err instanceof Error);
    assert.match(err.message, /^D1 query failed: D1 query failed/);
    assert.ok(err.status >= 400 && err.status < 600);
    assert.match(String(err.details), /syntax error/);
    return true;
  });
  await assert.rejects(D1Storage.exec(ns, 'INSERT INTO missing_table VALUES (1)'), /^Error: D1 exec failed: |D1 exec failed: /);
  await assert.rejects(KVStorage.set(ns, 'k'.repeat(600), 'v'), (err) => {
    assert.match(err.message, /^KV set failed: /);
    assert.ok(err.status >= 400 && err.status < 500);
    return true;
  });
  const offline = new Client({ baseUrl: `http://127.0.0.1:${await closedPort()}`, retries: 1, backoff: 1 });
  await assert.rejects(offline.kv.get(ns, 'k'), StorageConnectionError);

  // the original docs' try/catch pattern
  let outcome;
  try {
    await D1Storage.query(ns, 'SELECT * FROM nowhere');
    outcome = 'no error';
  } catch (e) {
    outcome = e.message;
  }
  assert.match(outcome, /^D1 query failed:/);
});

test('cleanup of old sessions', async () => {
  const ns = uniqueNs();
  const now = 1_700_000_000;
  const ages = [1, 30, 50, 2, 72];
  for (const [i, ageH] of ages.entries()) {
    await KVStorage.set(ns, `session:${i}`, JSON.stringify({ user: `u${i}` }), { created_at: now - ageH * 3600 });
  }
  const cutoff = now - 24 * 3600;
  let removed = 0;
  for await (const entry of new Client().kv.listAll(ns, 'session:')) {
    if (entry.metadata.created_at < cutoff) {
      assert.equal(await KVStorage.delete(ns, entry.name), true);
      removed++;
    }
  }
  assert.equal(removed, 3);
  assert.deepEqual((await KVStorage.list(ns, 'session:')).map((k) => k.name).sort(), ['session:0', 'session:3']);

  await KVStorage.set(ns, 'session:ttl', '{}', null, { ttl: 3600 });
  assert.equal(await KVStorage.get(ns, 'session:ttl'), '{}');
  await emu.advance(3_601_000);
  assert.equal(await KVStorage.get(ns, 'session:ttl'), null);
  assert.ok(!(await KVStorage.list(ns, 'session:')).some((k) => k.name === 'session:ttl'));
});
