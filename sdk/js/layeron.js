/**
 * A Layeron-shaped storage API over era-emu (issue 15): point `@layeron/modules` (and
 * `@layeron/core`) at `era-storage/layeron` with a module alias and Layeron storage code runs
 * against the emulator — its clock, faults, reset and inspector included.
 *
 *   import { storage, storageSignedUrl, secret } from '@layeron/modules';   // → era-storage/layeron
 *   const avatars = storage.bucket({ name: 'user-avatars', access: 'private' });
 *   await avatars.put('a.png', bytes, { contentType: 'image/png', ifNotExists: true });
 *   const url = await storageSignedUrl(avatars, 'a.png', { action: 'write', expiresInSeconds: 300 });
 *
 * Each module declares its store in the running emulator at first use (POST /_emu/declarations,
 * validated like era-emu.json: namespace, lifecycle, encryption with a SecretRef), so `--strict`
 * works and declared settings (TTL defaults, lifecycle, encryption) apply. Buckets use era-emu's
 * binary R2 route (case-preserving metadata), KV stores its binary KV route.
 * What Layeron's documentation leaves open, and what this module chose: docs/layeron.md.
 */
'use strict';

const { Client } = require('./era_storage.js');
const { KVNamespace, R2Bucket } = require('./platform.js');

const NAME_RE = /^[A-Za-z0-9_-]{1,63}$/;
const MAX_EXPIRES_IN = 604800; // 7 days, as R2/S3 presigning
const DEFAULT_EXPIRES_IN = 3600;
const KV_CONTENT_TYPE = '__contentType'; // where a KV entry's contentType is kept in its metadata

/** A Layeron-shaped failure: `code` (lower snake case) and `status` (HTTP). */
class StorageError extends Error {
  constructor(code, status, message, options) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
    this.status = status;
  }
}

function invalid(message) {
  return new StorageError('storage_invalid_argument', 400, message);
}

// An era-emu or binding failure as a StorageError (codes lower-cased: R2_… → r2_…).
function wrap(err) {
  if (err instanceof StorageError) return err;
  const code = typeof err?.code === 'string' && /^[A-Z0-9_]+$/.test(err.code) ? err.code.toLowerCase() : 'storage_error';
  const status = Number.isInteger(err?.status) ? err.status : 500;
  return new StorageError(code, status, err?.message || String(err), { cause: err });
}

function checkName(what, value) {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    throw invalid(`${what} must be 1-63 characters of A-Z a-z 0-9 _ - (got ${JSON.stringify(value)})`);
  }
}

// ---------------------------------------------------------------------------------------
// Connection and run-time declaration
// ---------------------------------------------------------------------------------------

let defaultClient = null;
function clientOf(module) {
  if (module._options.client) return module._options.client;
  if (module._options.url || module._options.token !== undefined) {
    return (module._ownClient ??= new Client({ baseUrl: module._options.url, token: module._options.token }));
  }
  return (defaultClient ??= new Client());
}

/** Secrets declared with `secret.*`, by name: encrypted stores name them in their declaration. */
const secrets = new Map();

// The declaration era-emu gets for a module (its own schema: namespace, lifecycle and SecretRef
// are understood there; Layeron-only fields with no local meaning are passed and ignored).
function declarationOf(module) {
  const o = module.options;
  const entry = { name: o.name };
  if (o.namespace !== undefined) entry.namespace = o.namespace;
  if (module.kind === 'bucket') {
    if (o.access !== undefined) entry.access = o.access;
    if (o.lifecycle !== undefined) entry.lifecycle = o.lifecycle;
  } else if (o.ttlSeconds !== undefined) {
    entry.ttlSeconds = o.ttlSeconds;
  }
  const doc = { [module.kind === 'bucket' ? 'buckets' : 'kv']: [entry] };
  if (o.encryption !== undefined) {
    entry.encryption = o.encryption;
    const ref = o.encryption && o.encryption.secret;
    const declared = ref && typeof ref === 'object' ? secrets.get(ref.name) : undefined;
    if (declared && declared.options.generate) doc.secrets = { [declared.name]: { random: { bytes: declared.options.bytes ?? 32 } } };
  }
  return doc;
}

// Declares the module's store once per emulator; answers its era-emu name.
async function ready(module) {
  const client = clientOf(module);
  const url = client._baseUrl();
  let pending = module._declared.get(url);
  if (!pending) {
    pending = client
      .jsonCall('POST', '/_emu/declarations', { svc: 'Layeron', op: 'declare', json: declarationOf(module), retry: false })
      .then((res) => {
        const mine = res.declared.find((d) => d.service === (module.kind === 'bucket' ? 'r2' : 'kv'));
        return mine.name;
      });
    pending.catch(() => module._declared.delete(url)); // a failed declaration is tried again next time
    module._declared.set(url, pending);
  }
  let storeName;
  try {
    storeName = await pending;
  } catch (e) {
    throw wrap(e);
  }
  if (!module._bindings.has(url)) {
    const Binding = module.kind === 'bucket' ? R2Bucket : KVNamespace;
    module._bindings.set(url, new Binding(storeName, { client }));
  }
  return module._bindings.get(url);
}

// ---------------------------------------------------------------------------------------
// Read handles and results
// ---------------------------------------------------------------------------------------

/**
 * What `get()` returns: the entry's fields plus body readers. The body is read once (`body`,
 * `text()`, `json()`, `arrayBuffer()`, `bytes()`, `blob()` share it), as a fetch Response's.
 */
class StorageReadHandle {
  constructor(fields, readers) {
    Object.assign(this, fields);
    Object.defineProperty(this, '_readers', { value: readers });
  }
  /** The body as a ReadableStream (reading it uses the body up). */
  get body() {
    return this._readers.body();
  }
  get bodyUsed() {
    return this._readers.used();
  }
  text() {
    return this._readers.text();
  }
  async json() {
    return JSON.parse(await this._readers.text());
  }
  arrayBuffer() {
    return this._readers.arrayBuffer();
  }
  async bytes() {
    return new Uint8Array(await this._readers.arrayBuffer());
  }
  async blob() {
    return new Blob([await this._readers.arrayBuffer()], { type: this.contentType || '' });
  }
}

function objectFields(obj, module) {
  const metadata = { ...(obj.customMetadata || {}) };
  const out = {
    key: obj.key,
    size: obj.size,
    etag: obj.etag,
    httpEtag: obj.httpEtag,
    contentType: obj.httpMetadata?.contentType,
    storedAt: obj.uploaded,
    metadata,
  };
  if (module.options.encryption) out.encrypted = true;
  return out;
}

// ---------------------------------------------------------------------------------------
// storage.bucket
// ---------------------------------------------------------------------------------------

const BUCKET_FIELDS = ['name', 'namespace', 'binding', 'shared', 'access', 'metadata', 'encryption', 'observability', 'placement', 'lifecycle'];
const KV_FIELDS = ['name', 'namespace', 'binding', 'shared', 'access', 'metadata', 'encryption', 'observability', 'placement', 'ttlSeconds'];

function checkOptions(kind, options, allowed) {
  if (!options || typeof options !== 'object') throw invalid(`storage.${kind}() needs an options object with a name`);
  checkName(`storage.${kind}() name`, options.name);
  if (options.namespace !== undefined) checkName(`storage.${kind}() namespace`, options.namespace);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw invalid(`storage.${kind}(): unknown option "${k}" (known: ${allowed.join(', ')})`);
  }
}

class StorageModuleBase {
  constructor(kind, options, opts = {}) {
    this.kind = kind;
    this.options = Object.freeze({ ...options });
    this.name = options.name;
    this.namespace = options.namespace ?? 'default';
    this.id = `${this.namespace}/${this.name}`;
    Object.defineProperty(this, '_options', { value: opts });
    Object.defineProperty(this, '_declared', { value: new Map() });
    Object.defineProperty(this, '_bindings', { value: new Map() });
  }

  /** Declares the store in the emulator now (otherwise done by the first operation). */
  async declare() {
    await ready(this);
  }

  /** delete(key): idempotent; resolves to undefined. (R2Bucket and KVNamespace delete alike.) */
  async delete(key) {
    const binding = await ready(this);
    try {
      await binding.delete(String(key));
    } catch (e) {
      throw wrap(e);
    }
  }
}

// list()'s page size, checked before any request: 1..1000, default 1000 (R2's and KV's maximum).
function listLimit(options) {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid(`list(): limit must be a whole number from 1 to 1000 (got ${limit})`);
  return limit;
}

class StorageBucketModule extends StorageModuleBase {
  /**
   * put(key, value: string | ArrayBuffer | ArrayBufferView | Blob | ReadableStream,
   *     {contentType?, metadata?, ifNotExists?, checksum?}) → {key, size, etag, contentType, storedAt, metadata, encrypted?}
   * `ifNotExists` is an atomic create: an existing key → StorageError storage_key_already_exists (409).
   * `checksum` is stored as metadata.checksum, as given (not verified).
   */
  async put(key, value, options = {}) {
    const bucket = await ready(this);
    const customMetadata = { ...(options.metadata || {}) };
    for (const [k, v] of Object.entries(customMetadata)) {
      if (typeof v !== 'string') customMetadata[k] = String(v);
    }
    if (options.checksum !== undefined) customMetadata.checksum = String(options.checksum);
    const putOptions = { customMetadata };
    if (options.contentType) putOptions.httpMetadata = { contentType: options.contentType };
    if (options.ifNotExists) putOptions.onlyIf = new Headers({ 'if-none-match': '*' });
    let obj;
    try {
      obj = await bucket.put(String(key), value ?? '', putOptions);
    } catch (e) {
      throw wrap(e);
    }
    if (obj === null) {
      throw new StorageError('storage_key_already_exists', 409, `key "${key}" already exists in bucket ${this.id}`);
    }
    return objectFields(obj, this);
  }

  /** get(key) → StorageReadHandle (decrypted on encrypted buckets), or null when missing. */
  async get(key) {
    const bucket = await ready(this);
    let obj;
    try {
      obj = await bucket.get(String(key));
    } catch (e) {
      throw wrap(e);
    }
    if (!obj) return null;
    return new StorageReadHandle(objectFields(obj, this), {
      body: () => obj.body,
      used: () => obj.bodyUsed,
      text: () => obj.text(),
      arrayBuffer: () => obj.arrayBuffer(),
    });
  }

  /** head(key) → {key, size, etag, contentType, storedAt, metadata, encrypted?}, or null. */
  async head(key) {
    const bucket = await ready(this);
    try {
      const obj = await bucket.head(String(key));
      return obj ? objectFields(obj, this) : null;
    } catch (e) {
      throw wrap(e);
    }
  }

  /** list({prefix?, limit? = 1000 (1..1000), cursor?}) → {items, cursor} (cursor undefined on the last page). */
  async list(options = {}) {
    const limit = listLimit(options);
    const bucket = await ready(this);
    let page;
    try {
      page = await bucket.list({ prefix: options.prefix, cursor: options.cursor || undefined, limit, include: ['httpMetadata', 'customMetadata'] });
    } catch (e) {
      throw wrap(e);
    }
    return { items: page.objects.map((o) => objectFields(o, this)), cursor: page.truncated ? page.cursor : undefined };
  }

  /** The emulator's store name ("namespace__name" when namespaced). */
  async storeName() {
    return (await ready(this))._bucket;
  }
}

// ---------------------------------------------------------------------------------------
// storage.kv
// ---------------------------------------------------------------------------------------

function kvFields(key, metadata, expiration) {
  const meta = { ...(metadata && typeof metadata === 'object' ? metadata : {}) };
  const contentType = meta[KV_CONTENT_TYPE];
  delete meta[KV_CONTENT_TYPE];
  const out = { key, contentType, metadata: meta };
  if (expiration !== undefined && expiration !== null) out.expiresAt = new Date(expiration * 1000);
  return out;
}

class StorageKvModule extends StorageModuleBase {
  /**
   * put(key, value: string | ArrayBuffer | ArrayBufferView | ReadableStream | JSON value,
   *     {contentType?, ttlSeconds? (>= 60), metadata?, ifNotExists?}) → {key}
   * Without ttlSeconds the store's declared ttlSeconds applies. `ifNotExists` checks the value
   * visible at this location first (not atomic, as Layeron documents) → 409 storage_key_already_exists.
   */
  async put(key, value, options = {}) {
    const kv = await ready(this);
    key = String(key);
    if (options.ttlSeconds !== undefined && (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 60)) {
      throw invalid(`put(): ttlSeconds must be a whole number of seconds >= 60 (got ${options.ttlSeconds})`);
    }
    let contentType = options.contentType;
    if (value === null || value === undefined) throw invalid('put(): a value is required');
    const plain = typeof value !== 'object' || value instanceof ArrayBuffer || ArrayBuffer.isView(value) || typeof value.getReader === 'function';
    if (!plain) {
      value = JSON.stringify(value);
      contentType ??= 'application/json';
    } else if (typeof value !== 'string' && typeof value !== 'object') {
      value = String(value);
    }
    const metadata = { ...(options.metadata || {}) };
    if (contentType) metadata[KV_CONTENT_TYPE] = contentType;
    try {
      if (options.ifNotExists && (await kv.get(key, 'arrayBuffer')) !== null) {
        throw new StorageError('storage_key_already_exists', 409, `key "${key}" already exists in kv store ${this.id}`);
      }
      const putOptions = {};
      if (Object.keys(metadata).length) putOptions.metadata = metadata;
      if (options.ttlSeconds !== undefined) putOptions.expirationTtl = options.ttlSeconds;
      await kv.put(key, value, putOptions);
    } catch (e) {
      throw wrap(e);
    }
    return { key };
  }

  /** get(key) → StorageReadHandle ({key, contentType, metadata, text(), json(), …}), or null when missing or expired. */
  async get(key) {
    const kv = await ready(this);
    key = String(key);
    let r;
    try {
      r = await kv.getWithMetadata(key, 'arrayBuffer');
    } catch (e) {
      throw wrap(e);
    }
    if (r.value === null) return null;
    const buf = r.value;
    let used = false;
    const take = () => {
      if (used) throw new TypeError('Body has already been used. It can only be used once.');
      used = true;
      return buf;
    };
    const fields = { ...kvFields(key, r.metadata), size: buf.byteLength };
    let stream = null;
    return new StorageReadHandle(fields, {
      body: () =>
        (stream ??= new ReadableStream({
          pull(c) {
            c.enqueue(new Uint8Array(take()));
            c.close();
          },
        })),
      used: () => used,
      text: async () => new TextDecoder().decode(take()),
      arrayBuffer: async () => take(),
    });
  }

  /** head(key) → {key, contentType, metadata}, or null. */
  async head(key) {
    const h = await this.get(key);
    if (!h) return null;
    const { key: k, contentType, metadata, size } = h;
    return { key: k, contentType, metadata, size };
  }

  /** list({prefix?, limit? = 1000 (1..1000), cursor?}) → {items: [{key, expiresAt?, contentType?, metadata}], cursor} */
  async list(options = {}) {
    const limit = listLimit(options);
    const kv = await ready(this);
    let page;
    try {
      page = await kv.list({ prefix: options.prefix, cursor: options.cursor || undefined, limit });
    } catch (e) {
      throw wrap(e);
    }
    return {
      items: page.keys.map((k) => kvFields(k.name, k.metadata, k.expiration)),
      cursor: page.list_complete ? undefined : page.cursor,
    };
  }

  async storeName() {
    return (await ready(this))._ns;
  }
}

const storage = {
  /** storage.bucket({name, namespace?, access?: 'private' | 'public', lifecycle?: {deleteAfterDays}, encryption?, …}) */
  bucket(options, connection) {
    checkOptions('bucket', options, BUCKET_FIELDS);
    return new StorageBucketModule('bucket', options, connection);
  },
  /** storage.kv({name, namespace?, ttlSeconds?, encryption?, …}) */
  kv(options, connection) {
    checkOptions('kv', options, KV_FIELDS);
    if (options.ttlSeconds !== undefined && (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 60)) {
      throw invalid(`storage.kv(): ttlSeconds must be a whole number of seconds >= 60 (got ${options.ttlSeconds})`);
    }
    return new StorageKvModule('kv', options, connection);
  },
};

// ---------------------------------------------------------------------------------------
// storageSignedUrl
// ---------------------------------------------------------------------------------------

/**
 * storageSignedUrl(bucketModule, key, {action: 'read' | 'write', expiresInSeconds? = 3600 (1..604800),
 * contentType?, maxSizeBytes?, oneTime?}) → the URL (a string). A write link takes a plain PUT of
 * the raw bytes; contentType and maxSizeBytes are enforced; a oneTime link works once. Expiry
 * runs on the emulator's virtual clock.
 */
async function storageSignedUrl(module, key, options = {}) {
  if (!(module instanceof StorageBucketModule)) throw invalid('storageSignedUrl() needs a storage.bucket() module');
  const action = options.action ?? 'read';
  if (action !== 'read' && action !== 'write') throw invalid(`storageSignedUrl(): action must be "read" or "write" (got ${JSON.stringify(action)})`);
  const expiresIn = options.expiresInSeconds ?? DEFAULT_EXPIRES_IN;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN) {
    throw invalid(`storageSignedUrl(): expiresInSeconds must be a whole number from 1 to ${MAX_EXPIRES_IN} (got ${expiresIn})`);
  }
  if (action === 'read' && (options.contentType !== undefined || options.maxSizeBytes !== undefined)) {
    throw invalid('storageSignedUrl(): contentType and maxSizeBytes apply to "write" links only');
  }
  const bucket = await ready(module);
  try {
    const signed = await clientOf(module).r2.signUrl(bucket._bucket, String(key), {
      method: action === 'write' ? 'PUT' : 'GET',
      expiresIn,
      oneTime: Boolean(options.oneTime),
      contentType: options.contentType,
      maxBytes: options.maxSizeBytes,
    });
    return signed.url;
  } catch (e) {
    throw wrap(e);
  }
}

// ---------------------------------------------------------------------------------------
// secret
// ---------------------------------------------------------------------------------------

class SecretModule {
  constructor(kind, options) {
    if (!options || typeof options !== 'object') throw invalid(`secret.${kind}() needs an options object with a name`);
    checkName(`secret.${kind}() name`, options.name);
    if (options.bytes !== undefined && (!Number.isInteger(options.bytes) || options.bytes < 16 || options.bytes > 1024)) {
      throw invalid(`secret.${kind}(): bytes must be a whole number from 16 to 1024 (got ${options.bytes})`);
    }
    this.kind = 'secret';
    this.name = options.name;
    this.options = Object.freeze({ ...options, generate: kind !== 'static' });
    secrets.set(this.name, this);
  }
  /** {kind: 'secret_ref', name}: what an encryption option names. */
  ref() {
    return { kind: 'secret_ref', name: this.name };
  }
}

const secret = {
  /** Generated by the emulator once per data dir (32 bytes by default), kept in <data>/secrets/NAME. */
  random: (options) => new SecretModule('random', options),
  generated: (options) => new SecretModule('generated', options),
  /** Supplied by you: the emulator reads the environment variable UPPER_SNAKE(name) (vault-key → VAULT_KEY). */
  static: (options) => new SecretModule('static', options),
};

// ---------------------------------------------------------------------------------------
// backend(): a small stand-in for @layeron/core's app, so route handlers can be called in tests
// ---------------------------------------------------------------------------------------

function compile(pattern) {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) throw new TypeError(`a route path starts with "/" (got ${JSON.stringify(pattern)})`);
  const names = [];
  const source = pattern
    .split('/')
    .map((seg) => {
      if (seg === '*') return '(.*)';
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { re: new RegExp(`^${source}/?$`), names };
}

function toResponse(out) {
  if (out instanceof Response) return out;
  if (out === undefined || out === null) return new Response(null, { status: 204 });
  if (typeof out === 'string') return new Response(out, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  return Response.json(out);
}

/**
 * backend(options?) → app: `use(module)`, `get|post|put|patch|delete|all(path, handler)` with
 * `:param` and `*` segments, and `fetch(request)` → Response. A handler gets `(request, ctx)`;
 * `request.params` and `ctx.params` hold the path parameters. It may return a Response, a plain
 * object (sent as JSON), a string, or nothing (204). A thrown StorageError becomes
 * `{error: {code, message}}` with its status; anything else a 500.
 */
function backend(options = {}) {
  const routes = [];
  const modules = [];
  const app = {
    options,
    modules,
    use(module) {
      modules.push(module);
      return app;
    },
    async fetch(request, env = {}, executionCtx = {}) {
      const url = new URL(request.url);
      for (const r of routes) {
        if (r.method !== 'ALL' && r.method !== request.method && !(r.method === 'GET' && request.method === 'HEAD')) continue;
        const m = r.re.exec(url.pathname);
        if (!m) continue;
        const params = {};
        r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
        try {
          Object.defineProperty(request, 'params', { value: params, configurable: true });
        } catch {
          /* a frozen request: ctx.params still has them */
        }
        try {
          return toResponse(await r.handler(request, { params, url, env, executionCtx, app }));
        } catch (e) {
          if (e instanceof StorageError) return Response.json({ error: { code: e.code, message: e.message } }, { status: e.status });
          return Response.json({ error: { code: 'internal_error', message: String(e?.message || e) } }, { status: 500 });
        }
      }
      return Response.json({ error: { code: 'not_found', message: `no route for ${request.method} ${url.pathname}` } }, { status: 404 });
    },
  };
  for (const method of ['get', 'post', 'put', 'patch', 'delete', 'all']) {
    app[method] = (path, handler) => {
      routes.push({ method: method.toUpperCase(), handler, ...compile(path) });
      return app;
    };
  }
  return app;
}

module.exports = { storage, storageSignedUrl, secret, backend, StorageError, StorageReadHandle, StorageBucketModule, StorageKvModule, SecretModule };
