/**
 * Workers bindings over era-emu (issue 15, in progress): `KVNamespace`, `R2Bucket` and
 * `D1Database` with the runtime's methods, argument forms, result shapes and thrown errors,
 * backed by era-emu's binary KV route (/api/kv/{ns}/{key}), binary R2 route
 * (/api/r2/{bucket}/{key}) and ERA D1 routes. Code written against `env.MY_KV` runs unchanged in
 * node, jest or vitest:
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

// JSON with every non-ASCII character \u-escaped: a header carries only ASCII safely.
function asciiJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// What era-emu said about a refusal: its JSON `error`, else the status text.
async function serverMessage(res) {
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') return body.error;
  } catch {
    /* not JSON: keep the status text */
  }
  return res.statusText;
}

// The runtime's failure text: "KV <OP> failed: <status> <message>".
async function failure(method, res) {
  return new Error(`KV ${method} failed: ${res.status} ${await serverMessage(res)}`);
}

// A binding's namespace or bucket name and its connection, fixed at construction.
function bind(self, kind, field, name, options) {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,63}$/.test(name)) {
    throw new TypeError(`${kind} must be 1-63 characters of A-Z a-z 0-9 _ -, not ${JSON.stringify(name)}`);
  }
  Object.defineProperty(self, field, { value: name });
  Object.defineProperty(self, '_client', { value: clientFor(options) });
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
  // workerd's put body is OneOf<kj::String, JsObject>: a primitive becomes its string (123 → "123").
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return Buffer.from(String(value), 'utf8');
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
    bind(this, 'KV namespace', '_ns', namespace, options);
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
      headers['x-era-kv-metadata'] = asciiJson(options.metadata);
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

// ---------------------------------------------------------------------------------------
// R2Bucket (binary route /api/r2/{bucket}/{key}; workerd src/workerd/api/r2-bucket.c++)
// ---------------------------------------------------------------------------------------

const HASHES = [
  ['md5', 'MD5', 16],
  ['sha1', 'SHA-1', 20],
  ['sha256', 'SHA-256', 32],
  ['sha384', 'SHA-384', 48],
  ['sha512', 'SHA-512', 64],
];
const HTTP_FIELDS = {
  contentType: 'content-type',
  contentLanguage: 'content-language',
  contentDisposition: 'content-disposition',
  contentEncoding: 'content-encoding',
  cacheControl: 'cache-control',
};
// What `json` mode sends: the metadata exactly as stored, names in their case.
const JSON_FORM = { 'x-era-metadata-form': 'json' };


function hexToArrayBuffer(hex) {
  const b = Buffer.from(hex, 'hex');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

class R2Checksums {
  constructor(hex = {}) {
    for (const [name] of HASHES) if (hex[name]) this[name] = hexToArrayBuffer(hex[name]);
  }
  toJSON() {
    const out = {};
    for (const [name] of HASHES) if (this[name]) out[name] = Buffer.from(this[name]).toString('hex');
    return out;
  }
}

function httpMetadataFrom(json) {
  const h = { ...(json || {}) };
  if (h.cacheExpiry) h.cacheExpiry = new Date(h.cacheExpiry);
  return h;
}

class R2Object {
  constructor(init) {
    this.key = init.key;
    this.version = init.version;
    this.size = init.size;
    this.etag = init.etag;
    this.httpEtag = init.httpEtag;
    this.checksums = new R2Checksums(init.checksums);
    this.uploaded = init.uploaded;
    this.httpMetadata = init.httpMetadata;
    this.customMetadata = init.customMetadata;
    if (init.range) this.range = init.range;
    this.storageClass = 'Standard';
  }

  writeHttpMetadata(headers) {
    for (const [field, name] of Object.entries(HTTP_FIELDS)) {
      if (this.httpMetadata[field] !== undefined) headers.set(name, this.httpMetadata[field]);
    }
    if (this.httpMetadata.cacheExpiry) headers.set('expires', this.httpMetadata.cacheExpiry.toUTCString());
  }
}

class R2ObjectBody extends R2Object {
  constructor(init, body) {
    super(init);
    this.body = body;
  }
  get bodyUsed() {
    return this.body.locked || require('node:stream').isDisturbed(this.body);
  }
  _consume() {
    if (this.body.locked) {
      throw new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');
    }
    return new Response(this.body);
  }
  async arrayBuffer() { return this._consume().arrayBuffer(); }
  async text() { return this._consume().text(); }
  async json() { return this._consume().json(); }
  async blob() {
    const type = this.httpMetadata.contentType || '';
    return new Blob([await this._consume().arrayBuffer()], { type });
  }
}

function objectFromResponse(key, res) {
  const hex = {};
  for (const [name] of HASHES) {
    const v = res.headers.get(`x-era-checksum-${name}`);
    if (v) hex[name] = v;
  }
  const meta = res.headers.get('x-era-http-metadata');
  const custom = res.headers.get('x-era-custom-metadata');
  const etag = res.headers.get('etag') || '';
  let size = Number(res.headers.get('content-length') || 0);
  let range;
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') || '');
  if (m) {
    range = { offset: Number(m[1]), length: Number(m[2]) - Number(m[1]) + 1 };
    size = Number(m[3]);
  }
  return {
    key,
    version: res.headers.get('x-era-version'),
    size,
    etag: etag.replace(/^"|"$/g, ''),
    httpEtag: etag,
    checksums: hex,
    uploaded: new Date(res.headers.get('x-era-uploaded')),
    httpMetadata: httpMetadataFrom(meta ? JSON.parse(meta) : {}),
    customMetadata: custom ? JSON.parse(custom) : {},
    range,
  };
}

function objectFromJson(j) {
  return new R2Object({
    key: j.key,
    version: j.version,
    size: j.size,
    etag: j.etag,
    httpEtag: j.httpEtag,
    checksums: j.checksums || {},
    uploaded: new Date(j.uploaded),
    httpMetadata: httpMetadataFrom(j.httpMetadata),
    customMetadata: j.customMetadata || {},
  });
}

function isQuotedEtag(e) {
  return typeof e === 'string' && (e.startsWith('"') || e.startsWith('W/"'));
}

function conditionalHeaders(onlyIf) {
  const h = {};
  if (!onlyIf) return h;
  if (typeof Headers !== 'undefined' && onlyIf instanceof Headers) {
    for (const name of ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']) {
      const v = onlyIf.get(name);
      if (v !== null) h[name] = v;
    }
    return h;
  }
  for (const [field, header] of [['etagMatches', 'if-match'], ['etagDoesNotMatch', 'if-none-match']]) {
    const e = onlyIf[field];
    if (e === undefined || e === null) continue;
    if (isQuotedEtag(e)) throw new TypeError(`Conditional ETag should not be wrapped in quotes (${e}).`);
    h[header] = e === '*' ? '*' : `"${e}"`;
  }
  if (onlyIf.uploadedBefore) h['if-unmodified-since'] = new Date(onlyIf.uploadedBefore).toUTCString();
  if (onlyIf.uploadedAfter) h['if-modified-since'] = new Date(onlyIf.uploadedAfter).toUTCString();
  return h;
}

function rangeHeaderOf(range) {
  if (range === undefined || range === null) return undefined;
  if (typeof Headers !== 'undefined' && range instanceof Headers) return range.get('range') ?? undefined;
  const { offset, length, suffix } = range;
  if (suffix !== undefined) {
    if (offset !== undefined) throw new TypeError('Suffix is incompatible with offset.');
    if (length !== undefined) throw new TypeError('Suffix is incompatible with length.');
    if (!(suffix >= 0) || !Number.isInteger(suffix)) throw new RangeError(`Invalid suffix. Suffix (${suffix}) must be a whole number >= 0.`);
    return `bytes=-${suffix}`;
  }
  const from = offset ?? 0;
  if (!(from >= 0) || !Number.isInteger(from)) throw new RangeError(`Invalid range. Starting offset (${offset}) must be a whole number >= 0.`);
  if (length === undefined) return `bytes=${from}-`;
  if (!(length >= 0) || !Number.isInteger(length)) throw new RangeError(`Invalid range. Length (${length}) must be a whole number >= 0.`);
  if (length === 0) return undefined;
  return `bytes=${from}-${from + length - 1}`;
}

function hashHeaders(options) {
  const h = {};
  let given = null;
  for (const [name, alg, len] of HASHES) {
    const v = options[name];
    if (v === undefined || v === null) continue;
    if (given) throw new TypeError('You cannot specify multiple hashing algorithms.');
    given = name;
    let hex;
    if (typeof v === 'string') {
      if (v.length !== len * 2) throw new TypeError(`${alg} is ${len * 2} hex characters, not ${v.length}`);
      if (!/^[0-9a-fA-F]*$/.test(v)) throw new TypeError(`Provided ${alg} wasn't a valid hex string`);
      hex = v;
    } else {
      const bytes = v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      if (bytes.length !== len) throw new TypeError(`${alg} is ${len} bytes, not ${bytes.length}`);
      hex = bytes.toString('hex');
    }
    h[`x-era-checksum-${name}`] = hex;
  }
  return h;
}

function metadataHeaders(options) {
  const h = {};
  let http = options.httpMetadata;
  if (http && typeof Headers !== 'undefined' && http instanceof Headers) {
    const from = http;
    http = {};
    for (const [field, name] of Object.entries(HTTP_FIELDS)) if (from.get(name) !== null) http[field] = from.get(name);
    if (from.get('expires') !== null) http.cacheExpiry = new Date(from.get('expires'));
  }
  for (const [field, name] of Object.entries(HTTP_FIELDS)) {
    if (http && http[field] !== undefined && http[field] !== null) h[name] = String(http[field]);
  }
  if (http && http.cacheExpiry) h.expires = new Date(http.cacheExpiry).toUTCString();
  if (!h['content-type']) h['content-type'] = '';
  const custom = options.customMetadata;
  if (custom && Object.keys(custom).length) {
    h['x-era-custom-metadata'] = asciiJson(Object.fromEntries(Object.entries(custom).map(([k, v]) => [k, String(v)])));
  }
  return h;
}

async function bodyBytes(value) {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (typeof Blob !== 'undefined' && value instanceof Blob) return Buffer.from(await value.arrayBuffer());
  return toBytes(value).catch(() => {
    throw new TypeError('R2 put() accepts only nulls, strings, Blobs, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
  });
}

async function r2Failure(op, res) {
  const err = new Error(`${op}: ${await serverMessage(res)}`);
  err.status = res.status;
  return err;
}

class R2MultipartUpload {
  constructor(bucket, key, uploadId) {
    this.key = key;
    this.uploadId = uploadId;
    Object.defineProperty(this, '_bucket', { value: bucket });
  }

  _path(query) {
    return `${this._bucket._path(this.key)}?uploadId=${encodeURIComponent(this.uploadId)}${query}`;
  }

  async uploadPart(partNumber, value) {
    const body = await bodyBytes(value);
    const j = await this._bucket._json('PUT', this._path(`&partNumber=${partNumber}`), 'uploadPart', { body, headers: { 'content-type': 'application/octet-stream' } });
    return { partNumber: j.partNumber, etag: j.etag };
  }

  async abort() {
    await this._bucket._json('DELETE', this._path(''), 'abortMultipartUpload');
  }

  async complete(uploadedParts) {
    const parts = uploadedParts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
    return objectFromJson(await this._bucket._json('POST', this._path(''), 'completeMultipartUpload', { json: { parts } }));
  }
}

class R2Bucket {
  /**
   * @param {string} bucket era-emu bucket (an R2 namespace: 1-63 of A-Z a-z 0-9 _ -)
   * @param {{client?: Client, url?: string, token?: string, location?: string}} [options]
   */
  constructor(bucket, options = {}) {
    bind(this, 'R2 bucket', '_bucket', bucket, options);
  }

  _path(key) {
    return `/api/r2/${this._bucket}${key === undefined ? '' : `/${encodeKey(String(key))}`}`;
  }

  async _json(method, path, op, { json, body, headers } = {}) {
    const { res, done } = await this._client.request(method, path, { svc: 'R2', op, json, body, headers: { ...JSON_FORM, ...headers } });
    try {
      if (!res.ok) throw await r2Failure(op, res);
      const text = await res.text();
      return text ? JSON.parse(text) : {};
    } finally {
      done();
    }
  }

  async head(key) {
    const { res, done } = await this._client.request('HEAD', this._path(key), { svc: 'R2', op: 'head', headers: JSON_FORM });
    try {
      if (res.status === 404) return null;
      if (!res.ok) throw await r2Failure('head', res);
      return new R2Object(objectFromResponse(String(key), res));
    } finally {
      done();
    }
  }

  /** get(key, {onlyIf?, range?}) → R2ObjectBody, R2Object (a condition failed: no body), or null. */
  async get(key, options = {}) {
    const headers = { ...JSON_FORM, ...conditionalHeaders(options.onlyIf) };
    const range = rangeHeaderOf(options.range);
    if (range) headers.range = range;
    let { res, done } = await this._client.request('GET', this._path(key), { svc: 'R2', op: 'get', headers, timeoutBody: false });
    if (res.status === 416) {
      // A range starting past the end: workerd's R2 answers the whole object, not an error.
      await res.arrayBuffer().catch(() => {});
      done();
      delete headers.range;
      ({ res, done } = await this._client.request('GET', this._path(key), { svc: 'R2', op: 'get', headers, timeoutBody: false }));
    }
    if (res.status === 404) {
      await res.arrayBuffer().catch(() => {});
      return null;
    }
    if (res.status === 304 || res.status === 412) {
      await res.arrayBuffer().catch(() => {});
      return new R2Object(objectFromResponse(String(key), res));
    }
    if (!res.ok) throw await r2Failure('get', res);
    done();
    const init = objectFromResponse(String(key), res);
    return new R2ObjectBody(init, res.body || new Blob([]).stream());
  }

  /** put(key, value, {onlyIf?, httpMetadata?, customMetadata?, md5|sha1|sha256|sha384|sha512?}) → R2Object, or null when onlyIf fails. */
  async put(key, value, options = {}) {
    const headers = { ...JSON_FORM, ...hashHeaders(options), ...metadataHeaders(options), ...conditionalHeaders(options.onlyIf) };
    if (headers['content-type'] === '') delete headers['content-type'];
    const body = await bodyBytes(value);
    const { res, done } = await this._client.request('PUT', this._path(key), { svc: 'R2', op: 'put', body, headers });
    try {
      if (res.status === 412) {
        await res.arrayBuffer().catch(() => {});
        return null;
      }
      if (!res.ok) throw await r2Failure('put', res);
      return objectFromJson(await res.json());
    } finally {
      done();
    }
  }

  /** delete(key) or delete([keys], at most 1000). */
  async delete(keys) {
    if (Array.isArray(keys)) {
      if (keys.length === 0) return;
      await this._json('POST', `${this._path()}?delete`, 'delete', { json: { keys: keys.map(String) } });
      return;
    }
    await this._json('DELETE', this._path(keys), 'delete');
  }

  /** list({prefix?, delimiter?, cursor?, startAfter?, limit?, include?}) → {objects, delimitedPrefixes, truncated, cursor?} */
  async list(options = {}) {
    const q = [];
    for (const name of ['prefix', 'delimiter', 'cursor', 'startAfter', 'limit']) {
      if (options[name] !== undefined && options[name] !== null) q.push(`${name}=${encodeURIComponent(String(options[name]))}`);
    }
    for (const inc of options.include || []) {
      if (inc !== 'httpMetadata' && inc !== 'customMetadata') throw new RangeError(`Unsupported include value ${inc}`);
      q.push(`include=${inc}`);
    }
    const page = await this._json('GET', this._path() + (q.length ? `?${q.join('&')}` : ''), 'list');
    const out = {
      objects: page.objects.map(objectFromJson),
      delimitedPrefixes: page.delimitedPrefixes || [],
      truncated: page.truncated,
    };
    if (page.truncated) out.cursor = page.cursor;
    return out;
  }

  async createMultipartUpload(key, options = {}) {
    const headers = metadataHeaders(options);
    if (headers['content-type'] === '') delete headers['content-type'];
    const j = await this._json('POST', `${this._path(key)}?uploads`, 'createMultipartUpload', { headers });
    return new R2MultipartUpload(this, String(key), j.uploadId);
  }

  resumeMultipartUpload(key, uploadId) {
    return new R2MultipartUpload(this, String(key), uploadId);
  }
}

// ---------------------------------------------------------------------------------------
// D1Database (ERA D1 routes /api/storage/d1/{db}/query|batch|exec; workerd src/cloudflare/internal/d1-api.ts)
// ---------------------------------------------------------------------------------------

// A JS value as D1 binds it, in the ERA route's JSON (BLOBs as byte arrays).
// As workerd's D1PreparedStatement.bind: booleans as 1/0, ArrayBuffers as bytes, views by element.
function bindValue(v) {
  const type = typeof v;
  if (type === 'number' || type === 'string') return v;
  if (type === 'boolean') return v; // the route binds JSON booleans as INTEGER 1/0 (numbers bind as REAL)
  if (v === null) return v;
  if (Array.isArray(v) && v.every((b) => typeof b === 'number' && b >= 0 && b < 256)) return v;
  if (v instanceof ArrayBuffer) return Array.from(new Uint8Array(v));
  if (ArrayBuffer.isView(v)) return Array.from(v);
  throw new Error(`D1_TYPE_ERROR: Type '${type}' not supported for value '${String(v)}'`, {
    cause: new Error(`Type '${type}' not supported for value '${String(v)}'`),
  });
}

// D1 failures read as the runtime's: the "D1_ERROR: …: SQLITE_…" text era-emu puts in `details`.
async function d1Failure(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const text = (body && (typeof body.details === 'string' ? body.details : body.error)) || `D1_ERROR: ${res.status} ${res.statusText}`;
  const err = new Error(text, { cause: new Error(text.replace(/^D1_ERROR: /, '')) });
  if (body && body.statement_index !== undefined) err.statementIndex = body.statement_index;
  return err;
}

class D1PreparedStatement {
  constructor(db, sql, params = []) {
    Object.defineProperty(this, '_db', { value: db });
    this.statement = sql;
    this.params = params;
  }

  bind(...values) {
    return new D1PreparedStatement(this._db, this.statement, values.map(bindValue));
  }

  _wire() {
    return { sql: this.statement, params: this.params };
  }

  /** → D1Result {results, success, meta} */
  async all() {
    const r = await this._db._call('query', this._wire());
    return { results: r.results || [], success: true, meta: r.meta || {} };
  }

  /** run() answers what all() does (current D1). */
  async run() {
    return this.all();
  }

  /** first() → the first row or null; first(column) → that column's value (or null when no row). */
  async first(column) {
    const { results } = await this.all();
    const row = results[0];
    if (row === undefined) return null;
    if (column === undefined) return row;
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column];
  }

  /**
   * raw() → rows as arrays; raw({columnNames: true}) puts the column names first. Read in
   * workerd's ROWS_AND_COLUMNS form: duplicate column names (a join's two `id`s) stay two
   * values, and an empty result still names its columns.
   */
  async raw(options = {}) {
    const r = await this._db._call('query?resultsFormat=ROWS_AND_COLUMNS', this._wire(), 'query');
    const rows = r.results?.rows || [];
    if (options.columnNames) rows.unshift(r.results?.columns || []);
    return rows;
  }
}

class D1Database {
  /**
   * @param {string} database era-emu D1 namespace (1-63 of A-Z a-z 0-9 _ -)
   * @param {{client?: Client, url?: string, token?: string}} [options]
   */
  constructor(database, options = {}) {
    bind(this, 'D1 database', '_db', database, options);
  }

  async _call(path, body, op = path) {
    const { res, done } = await this._client.request('POST', `/api/storage/d1/${this._db}/${path}`, { svc: 'D1', op, json: body });
    try {
      if (!res.ok) throw await d1Failure(res);
      return await res.json();
    } finally {
      done();
    }
  }

  prepare(query) {
    return new D1PreparedStatement(this, String(query));
  }

  /** All statements in one transaction: D1Result[] in order, or nothing kept and an Error. */
  async batch(statements) {
    if (!Array.isArray(statements)) throw new TypeError('batch() takes an array of prepared statements');
    if (statements.length === 0) return [];
    const r = await this._call('batch', { statements: statements.map((s) => s._wire()) });
    return r.results.map((x) => ({ results: x.results || [], success: true, meta: x.meta || {} }));
  }

  /** Runs SQL text (statements separated by ;) without bindings → {count, duration}. */
  async exec(query) {
    let r;
    try {
      r = await this._call('exec', { sql: String(query) });
    } catch (e) {
      const message = e.message.replace(/^D1_ERROR: /, '');
      const err = new Error(`D1_EXEC_ERROR: ${message}`, { cause: new Error(message) });
      err.statementIndex = e.statementIndex;
      throw err;
    }
    return { count: r.meta?.count ?? 0, duration: r.meta?.duration ?? 0 };
  }

  /**
   * withSession(constraintOrBookmark?) → D1DatabaseSession (D1 read replication's Sessions
   * API). era-emu has one copy of each database, so every session reads its own writes; the
   * bookmarks are opaque, ordered strings as production's, advancing with each query.
   */
  withSession(constraintOrBookmark) {
    let c = typeof constraintOrBookmark === 'string' ? constraintOrBookmark.trim() : constraintOrBookmark;
    if (c == null || c === '') c = SESSION_FIRST_UNCONSTRAINED;
    return new D1DatabaseSession(this, String(c));
  }

  /** Deprecated in D1 and refused by production: throws D1_DUMP_ERROR as the runtime does. */
  async dump() {
    const message = 'dump() is no longer supported by D1 (use `wrangler d1 export`; era-emu: snapshots or GET /_emu/inspect/d1)';
    throw new Error(`D1_DUMP_ERROR: ${message}`, { cause: new Error(message) });
  }
}

const SESSION_FIRST_UNCONSTRAINED = 'first-unconstrained';
const SESSION_FIRST_PRIMARY = 'first-primary';
let bookmarkSeq = 0;

class D1DatabaseSession {
  constructor(db, constraintOrBookmark) {
    Object.defineProperty(this, '_database', { value: db });
    Object.defineProperty(this, '_state', { value: { bookmark: constraintOrBookmark } });
  }

  async _call(path, body, op) {
    const r = await this._database._call(path, body, op);
    bookmarkSeq += 1;
    const next = `${bookmarkSeq.toString(16).padStart(8, '0')}-00000000-00000000-${'0'.repeat(32)}`;
    const cur = this.getBookmark();
    if (cur === null || next > cur) this._state.bookmark = next;
    return r;
  }

  prepare(query) {
    return new D1PreparedStatement(this, String(query));
  }

  async batch(statements) {
    return D1Database.prototype.batch.call(this, statements);
  }

  /** The latest bookmark this session saw (null before its first query under a constraint). */
  getBookmark() {
    const b = this._state.bookmark;
    return b === SESSION_FIRST_UNCONSTRAINED || b === SESSION_FIRST_PRIMARY ? null : b;
  }
}

// ---------------------------------------------------------------------------------------
// getPlatformProxy: wrangler's entry point, with every binding backed by era-emu
// ---------------------------------------------------------------------------------------

const NAME_RE = /^[A-Za-z0-9_-]{1,63}$/;

function storeName(kind, binding, ...candidates) {
  const name = candidates.find((c) => typeof c === 'string' && NAME_RE.test(c));
  if (!name) {
    throw new TypeError(`${kind} binding ${JSON.stringify(binding.binding)} names no usable store (${candidates.filter(Boolean).join(', ') || 'nothing'}): era-emu needs 1-63 of A-Z a-z 0-9 _ -`);
  }
  return name;
}

// Applies <dir>/*.sql in name order, each once, recorded in the migrations table — what
// `wrangler d1 migrations apply --local` does. Each file and its record commit together.
async function applyMigrations(db, dir, table) {
  const fs = require('node:fs');
  const path = require('node:path');
  if (!fs.existsSync(dir)) return [];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError(`migrations_table ${JSON.stringify(table)} is not a plain SQL name`);
  await db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
  const done = new Set((await db.prepare(`SELECT name FROM ${table}`).all()).results.map((r) => r.name));
  const applied = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    if (done.has(name)) continue;
    const sql = fs.readFileSync(path.join(dir, name), 'utf8');
    const statements = sql.trim() ? [db.prepare(sql)] : [];
    try {
      await db.batch([...statements, db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).bind(name)]);
    } catch (e) {
      throw new Error(`migration ${name} failed: ${e.message}`, { cause: e });
    }
    applied.push(name);
  }
  return applied;
}

/**
 * getPlatformProxy({configPath?, environment?, url?, token?, applyMigrations? = true})
 * → {env, cf, ctx, caches, dispose}: the bindings a wrangler.jsonc / wrangler.json /
 * wrangler.toml declares (kv_namespaces, r2_buckets, d1_databases, vars), each backed by the
 * era-emu at `url` (default ERA_STORAGE_URL). D1 migrations are applied as wrangler's local apply.
 */
async function getPlatformProxy(options = {}) {
  const { findConfig, readConfig } = require('./wrangler_config.js');
  const path = require('node:path');
  const file = findConfig(options.configPath);
  if (options.configPath && !require('node:fs').existsSync(file)) throw new Error(`getPlatformProxy: no config file at ${file}`);
  let config = file ? readConfig(file) : {};
  if (options.environment) {
    const envs = config.env || {};
    if (!envs[options.environment]) throw new Error(`getPlatformProxy: ${file} has no environment "${options.environment}"`);
    // Bindings and vars are not inherited from the top level (wrangler's rule).
    config = { ...config, vars: undefined, kv_namespaces: undefined, r2_buckets: undefined, d1_databases: undefined, ...envs[options.environment] };
  }
  const conn = { client: options.client, url: options.url, token: options.token, location: options.location };
  const env = { ...(config.vars || {}) };
  for (const b of config.kv_namespaces || []) env[b.binding] = new KVNamespace(storeName('KV', b, b.id, b.binding), conn);
  for (const b of config.r2_buckets || []) env[b.binding] = new R2Bucket(storeName('R2', b, b.bucket_name, b.binding), conn);
  for (const b of config.d1_databases || []) {
    const db = new D1Database(storeName('D1', b, b.database_name, b.database_id, b.binding), conn);
    env[b.binding] = db;
    if (options.applyMigrations !== false && file) {
      await applyMigrations(db, path.resolve(path.dirname(file), b.migrations_dir || 'migrations'), b.migrations_table || 'd1_migrations');
    }
  }
  return {
    env,
    cf: {},
    ctx: { waitUntil() {}, passThroughOnException() {} },
    caches: undefined,
    dispose: async () => {},
  };
}

module.exports = { getPlatformProxy, applyMigrations, KVNamespace, D1Database, D1DatabaseSession, D1PreparedStatement, R2Bucket, R2Object, R2ObjectBody, R2MultipartUpload, R2Checksums };
