// The ERA storage proxy as shared/spec/era-wire-protocol.md describes it (KV in one shared
// namespace as "<ns>:<key>", D1 with the <ns>_ table rewrite, R2 as "<ns>/<key>" with base64
// JSON bodies, every write registered in one registry Durable Object), for `scripts/bench
// --against miniflare`: the anchor era-emu's throughput is measured against, in the same run.
const json = (body, status = 200) => Response.json(body, { status });

function b64encode(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function b64decode(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function register(env, resource) {
  try {
    const stub = env.STORAGE_REGISTRY.get(env.STORAGE_REGISTRY.idFromName('primary'));
    await stub.fetch('http://registry/register', { method: 'POST', body: JSON.stringify(resource) });
  } catch {
    /* the proxy logs and ignores registry failures */
  }
}

async function kv(request, env, ns, key, url) {
  if (!key) {
    if (request.method !== 'GET') return json({ error: 'Key required' }, 400);
    const list = await env.ERA_KV.list({ prefix: `${ns}:${url.searchParams.get('prefix') || ''}`, limit: parseInt(url.searchParams.get('limit') || '100', 10) });
    return json({ keys: list.keys.map((k) => ({ name: k.name.replace(`${ns}:`, ''), ...(k.metadata ? { metadata: k.metadata } : {}) })), list_complete: list.list_complete, ...(list.list_complete ? {} : { cursor: list.cursor }) });
  }
  const full = `${ns}:${key}`;
  if (request.method === 'GET') {
    const value = await env.ERA_KV.get(full, 'text');
    return value === null ? json({ error: 'Key not found' }, 404) : json({ value });
  }
  if (request.method === 'PUT') {
    const body = await request.json();
    await env.ERA_KV.put(full, body.value, body.metadata == null ? {} : { metadata: body.metadata });
    await register(env, { type: 'kv', namespace: ns, key, size: new TextEncoder().encode(String(body.value)).length, metadata: body.metadata });
    return json({ success: true });
  }
  if (request.method === 'DELETE') {
    await env.ERA_KV.delete(full);
    return json({ success: true });
  }
  return json({ error: 'Method not allowed' }, 405);
}

async function d1(request, env, ns, op) {
  const body = await request.json();
  // The proxy's namespacing rewrite. (The original also rewrote the IF of "TABLE IF [NOT] EXISTS",
  // which broke those statements; that word is left alone here so the bench's seeds run.)
  const sql = String(body.sql).replace(/\b(FROM|JOIN|INTO|TABLE)\s+(?:(IF\s+(?:NOT\s+)?EXISTS)\s+)?(\w+)/gi,
    (_, kw, cond, word) => `${kw} ${cond ? `${cond} ` : ''}${ns}_${word}`);
  const stmt = env.ERA_D1.prepare(sql).bind(...(body.params || []));
  try {
    if (!op || op === 'query') {
      const r = await stmt.all();
      return json({ success: true, results: r.results, meta: r.meta });
    }
    if (op === 'exec') {
      const r = await stmt.run();
      return json({ success: true, meta: r.meta });
    }
  } catch (e) {
    return json({ error: 'D1 query failed', details: String(e.message) }, 500);
  }
  return json({ error: 'Invalid operation' }, 400);
}

async function r2(request, env, ns, key, url) {
  if (!key) {
    if (request.method !== 'GET') return json({ error: 'Key required' }, 400);
    const list = await env.ERA_R2.list({ prefix: `${ns}/${url.searchParams.get('prefix') || ''}`, limit: parseInt(url.searchParams.get('limit') || '100', 10) });
    return json({ objects: list.objects.map((o) => ({ key: o.key.slice(ns.length + 1), size: o.size, uploaded: o.uploaded.toISOString() })), truncated: list.truncated, ...(list.truncated ? { cursor: list.cursor } : {}) });
  }
  const full = `${ns}/${key}`;
  if (request.method === 'GET') {
    const obj = await env.ERA_R2.get(full);
    if (!obj) return json({ error: 'Object not found' }, 404);
    const bytes = new Uint8Array(await obj.arrayBuffer());
    return json({ content: b64encode(bytes), size: obj.size, httpMetadata: obj.httpMetadata, customMetadata: obj.customMetadata });
  }
  if (request.method === 'PUT') {
    const body = await request.json();
    const bytes = b64decode(body.content);
    await env.ERA_R2.put(full, bytes, body.metadata ? { customMetadata: body.metadata } : {});
    await register(env, { type: 'r2', namespace: ns, key, size: bytes.length, metadata: body.metadata });
    return json({ success: true, size: bytes.length });
  }
  if (request.method === 'DELETE') {
    await env.ERA_R2.delete(full);
    return json({ success: true });
  }
  return json({ error: 'Method not allowed' }, 405);
}

export class StorageRegistry {
  constructor(state) {
    this.state = state;
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/register') {
      const r = await request.json();
      const resources = (await this.state.storage.get('resources')) || {};
      const id = `${r.type}:${r.namespace}:${r.key}`;
      const now = new Date().toISOString();
      resources[id] = { ...r, created_at: resources[id]?.created_at || now, updated_at: now };
      await this.state.storage.put('resources', resources);
      return json({ success: true, resource_id: id, resource: resources[id] });
    }
    return json({ error: 'not found' }, 404);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/_emu/health') return json({ status: 'ok', version: 'miniflare-era-proxy' });
    const m = /^\/api\/storage\/(kv|d1|r2)\/([^/]+)(?:\/(.+))?$/.exec(url.pathname);
    if (!m) return json({ error: 'invalid storage path', format: '/api/storage/{kv|d1|r2}/{namespace}[/{key}]' }, 400);
    const [, type, ns, key] = m;
    try {
      if (type === 'kv') return await kv(request, env, ns, key, url);
      if (type === 'd1') return await d1(request, env, ns, key);
      return await r2(request, env, ns, key, url);
    } catch (e) {
      return json({ error: 'Storage operation failed', details: String(e.message) }, 500);
    }
  },
};
