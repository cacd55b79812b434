/**
 * Workers bindings over era-emu (first part of issue 15): `KVNamespace` with the runtime's
 * methods, argument forms, result shapes and thrown errors, backed by era-emu's binary KV route
 * (/api/kv/{ns}/{key}). Code written against `env.MY_KV` runs unchanged in node, jest or vitest:
 *
 *   const { KVNamespace } = require('era-storage/platform');
 *   const env = { MY_KV: new KVNamespace('my-kv') };
 *   await env.MY_KV.put('k', 'v', { expirationTtl: 120 });
 *   await env.MY_KV.get('k', { type: 'json' });
 *
 * Connection settings are era_storage's Client ones (ERA_STORAGE_URL, ERA_EMU_TOKEN,
 * ERA_LOCATION); pass `{ client }` or `{ url }` to choose another.
 * Reference: docs/workers.md.
 */
'use strict';

const { Client, encodeKey } = require('./era_storage.js');

const KEY_LIMIT = 512;
const BULK_LIMIT = 100;
const LIST_LIMIT = 1000;
const GET_TYPES = ['text', 'json', 'arrayBuffer', 'stream'];

function clientFor(options = {}) {
  if (options.client) return options.client;
  return new Client({ baseUrl: options.url, token: options.token, location: options.location });
}

// workerd's validateKeyName: TypeErrors for empty/dot keys, "KV <OP> failed: 414 …" for long ones.
function validateKey(method, key) {
  if (typeof key !== 'string') key = String(key);
  if (key === '') throw new TypeError('Key name cannot be empty.');
  if (key === '.') throw new TypeError('"." is not allowed as a key name.');
  if (key === '..') throw new TypeError('".." is not allowed as a key name.');
  const n = Buffer.byteLength(key, 'utf8');
  if (n > KEY_LIMIT) {
    throw new Error(`KV ${method} failed: 414 UTF-8 encoded length of ${n} exceeds key length limit of ${KEY_LIMIT}.`);
  }
  return key;
}

// The runtime's failure text: "KV <OP> failed: <status> <message>".
async function failure(method, res) {
  let message = res.statusText;
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    /* not JSON: keep the status text */
  }
  return new Error(`KV ${method} failed: ${res.status} ${message}`);
}

function parseType(typeOrOptions) {
  let type = 'text';
  let cacheTtl;
  if (typeof typeOrOptions === 'string') type = typeOrOptions;
  else if (typeOrOptions && typeof typeOrOptions === 'object') {
    if (typeOrOptions.type !== undefined) type = typeOrOptions.type;
    cacheTtl = typeOrOptions.cacheTtl;
  }
  if (!GET_TYPES.includes(type)) {
    throw new TypeError(`Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".`);
  }
  return { type, cacheTtl };
}

async function toBytes(value) {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value && typeof value.getReader === 'function') {
    const chunks = [];
    const reader = value.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(chunks);
  }
  throw new TypeError('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
}

function decode(type, bytes) {
  if (type === 'arrayBuffer') return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (type === 'stream') {
    return new ReadableStream({
      start(controller) {
        if (bytes.byteLength) controller.enqueue(new Uint8Array(bytes));
        controller.close();
      },
    });
  }
  const text = new TextDecoder().decode(bytes);
  return type === 'json' ? JSON.parse(text) : text;
}

class KVNamespace {
  /**
   * @param {string} namespace era-emu KV namespace (1-63 of A-Z a-z 0-9 _ -)
   * @param {{client?: Client, url?: string, token?: string, location?: string}} [options]
   */
  constructor(namespace, options = {}) {
    if (typeof namespace !== 'string' || !/^[A-Za-z0-9_-]{1,63}$/.test(namespace)) {
      throw new TypeError(`KV namespace must be 1-63 characters of A-Z a-z 0-9 _ -, not ${JSON.stringify(namespace)}`);
    }
    Object.defineProperty(this, '_ns', { value: namespace });
    Object.defineProperty(this, '_client', { value: clientFor(options) });
  }

  _path(key) {
    return `/api/kv/${this._ns}${key === undefined ? '' : `/${encodeKey(key)}`}`;
  }

  async _getOne(key, typeOrOptions) {
    key = validateKey('GET', key);
    const { type, cacheTtl } = parseType(typeOrOptions);
    const query = cacheTtl === undefined ? '' : `?cacheTtl=${encodeURIComponent(String(cacheTtl))}`;
    const { res, done } = await this._client.request('GET', this._path(key) + query, { svc: 'KV', op: 'GET' });
    try {
      if (res.status === 404) {
        await res.arrayBuffer().catch(() => {});
        return { value: null, metadata: null, cacheStatus: null };
      }
      if (!res.ok) throw await failure('GET', res);
      const bytes = Buffer.from(await res.arrayBuffer());
      const meta = res.headers.get('x-era-kv-metadata');
      return {
        value: decode(type, bytes),
        metadata: meta === null ? null : JSON.parse(meta),
        cacheStatus: res.headers.get('x-era-kv-cache-status'),
      };
    } finally {
      done();
    }
  }

  async _getMany(keys, typeOrOptions, withMetadata) {
    const { type, cacheTtl } = parseType(typeOrOptions);
    if (type !== 'text' && type !== 'json') {
      throw new TypeError(`"${type}" is not a valid type. Use "json" or "text"`);
    }
    if (keys.length > BULK_LIMIT) throw new TypeError(`You can request a maximum of ${BULK_LIMIT} keys`);
    const names = keys.map((k) => validateKey('GET_BULK', k));
    const result = new Map();
    if (names.length === 0) return result;
    const body = { keys: names };
    if (withMetadata) body.withMetadata = true;
    if (cacheTtl !== undefined) body.cacheTtl = cacheTtl;
    const { res, done } = await this._client.request('POST', this._path(), { svc: 'KV', op: 'GET_BULK', json: body, retry: true });
    try {
      if (!res.ok) throw await failure('GET_BULK', res);
      const values = await res.json();
      for (const name of names) {
        const v = values[name] ?? null;
        if (!withMetadata) result.set(name, v === null ? null : type === 'json' ? JSON.parse(v) : v);
        else if (v === null) result.set(name, null);
        else result.set(name, { value: type === 'json' ? JSON.parse(v.value) : v.value, metadata: v.metadata ?? null });
      }
      return result;
    } finally {
      done();
    }
  }

  /** get(key, type|{type, cacheTtl}) → value or null; get([keys], …) → Map (≤ 100 keys). */
  async get(key, typeOrOptions) {
    if (Array.isArray(key)) return this._getMany(key, typeOrOptions, false);
    return (await this._getOne(key, typeOrOptions)).value;
  }

  /** → {value, metadata, cacheStatus}; value and metadata null when the key is missing. */
  async getWithMetadata(key, typeOrOptions) {
    if (Array.isArray(key)) return this._getMany(key, typeOrOptions, true);
    return this._getOne(key, typeOrOptions);
  }

  /** put(key, string|ArrayBuffer|ArrayBufferView|ReadableStream, {expiration?, expirationTtl?, metadata?}) */
  async put(key, value, options = {}) {
    key = validateKey('PUT', key);
    const bytes = await toBytes(value);
    const q = [];
    if (options.expiration !== undefined && options.expiration !== null) q.push(`expiration=${encodeURIComponent(String(options.expiration))}`);
    if (options.expirationTtl !== undefined && options.expirationTtl !== null) q.push(`expiration_ttl=${encodeURIComponent(String(options.expirationTtl))}`);
    const headers = { 'content-type': 'application/octet-stream' };
    if (options.metadata !== undefined && options.metadata !== null) {
      // \u-escape non-ASCII: a header carries only ASCII safely.
      headers['x-era-kv-metadata'] = JSON.stringify(options.metadata).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
    const path = this._path(key) + (q.length ? `?${q.join('&')}` : '');
    const { res, done } = await this._client.request('PUT', path, { svc: 'KV', op: 'PUT', body: bytes, headers });
    try {
      if (!res.ok) throw await failure('PUT', res);
      await res.arrayBuffer().catch(() => {});
    } finally {
      done();
    }
  }

  async delete(key) {
    key = validateKey('DELETE', key);
    const { res, done } = await this._client.request('DELETE', this._path(key), { svc: 'KV', op: 'DELETE' });
    try {
      if (!res.ok) throw await failure('DELETE', res);
      await res.arrayBuffer().catch(() => {});
    } finally {
      done();
    }
  }

  /** list({prefix?, limit? (≤ 1000), cursor?}) → {keys, list_complete, cursor?, cacheStatus} */
  async list(options = {}) {
    const q = [];
    if (options.prefix !== undefined && options.prefix !== null) q.push(`prefix=${encodeURIComponent(options.prefix)}`);
    if (options.limit !== undefined && options.limit !== null) {
      if (!(options.limit > 0) || options.limit > LIST_LIMIT) {
        throw new Error(`KV LIST failed: 400 Invalid key_count_limit of ${options.limit}. Please specify an integer ${options.limit > 0 ? `less than ${LIST_LIMIT}` : 'greater than 0'}.`);
      }
      q.push(`limit=${options.limit}`);
    }
    if (options.cursor) q.push(`cursor=${encodeURIComponent(options.cursor)}`);
    const page = await this._client.jsonCall('GET', this._path() + (q.length ? `?${q.join('&')}` : ''), { svc: 'KV', op: 'LIST' })
      .catch((e) => {
        throw new Error(`KV LIST failed: ${e.status ?? ''} ${e.error ?? e.message}`.replace('  ', ' '));
      });
    const out = { keys: page.keys, list_complete: page.list_complete, cacheStatus: null };
    if (!page.list_complete) out.cursor = page.cursor;
    return out;
  }
}

module.exports = { KVNamespace };
