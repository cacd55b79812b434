/**
 * ERA Storage SDK for JavaScript/Node.js (>= 18).
 *
 * Drop-in replacement for the `era_storage.js` injected into ERA sandboxes: the static
 * classes `KVStorage`, `D1Storage` and `R2Storage` keep the original signatures and return
 * shapes. On top of that: KV TTL and metadata reads, cursor pagination, D1 batches, streaming
 * R2 uploads/downloads through the binary route, range and conditional requests, typed
 * errors, bearer auth, timeouts and bounded retries for safe requests.
 *
 * No runtime dependencies: global `fetch` plus node:fs / node:stream.
 *
 * Environment (read on every request by the default client):
 *   ERA_STORAGE_URL      base URL, default http://127.0.0.1:8787 (era-emu up)
 *   ERA_EMU_TOKEN        bearer token (Authorization: Bearer <token>)
 *   ERA_LOCATION         sent as X-Era-Location
 *   ERA_STORAGE_TIMEOUT  timeout in seconds until response headers (default 30)
 */
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');

const VERSION = '0.1.0';
const DEFAULT_URL = 'http://127.0.0.1:8787'; // where `era-emu up` listens by default
const DEFAULT_TIMEOUT_MS = 30000;
const MAX_RETRY_WAIT_MS = 10000;
const MAX_PAGES = 1000000;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/**
 * Any failed storage call. `message` keeps the original SDK's wording,
 * `"<SVC> <op> failed: <error>"`, so existing `catch (e)` code behaves the same.
 */
class StorageError extends Error {
  constructor(message, { status = null, code = null, details = null, error = null, body = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    /** HTTP status, or null when no response arrived. */
    this.status = status;
    /** Machine-readable code from the server (e.g. "KV_KEY_TOO_LONG"), or null. */
    this.code = code;
    /** The server's `details` field (e.g. "D1_ERROR: ..."), or null. */
    this.details = details;
    /** The server's `error` field (the legacy human message), or null. */
    this.error = error;
    /** Parsed JSON error body, or the raw text. */
    this.body = body;
  }
}
/** 404: key, object, namespace or route not found (legacy getters return null instead). */
class NotFoundError extends StorageError {}
/** 412: an If-Match / If-None-Match / If-*-Since condition failed. */
class PreconditionFailedError extends StorageError {}
/** 429: rate limited; `retryAfter` is the server's Retry-After in seconds. */
class RateLimitedError extends StorageError {
  constructor(message, opts = {}) {
    super(message, opts);
    this.retryAfter = opts.retryAfter ?? null;
  }
}
/** 416: the requested range lies outside the object. */
class RangeNotSatisfiableError extends StorageError {}
/** No HTTP response (refused, reset, DNS, timeout). `code` is CONNECTION_FAILED or TIMEOUT. */
class StorageConnectionError extends StorageError {}

const ERRORS_BY_STATUS = {
  404: NotFoundError,
  412: PreconditionFailedError,
  416: RangeNotSatisfiableError,
  429: RateLimitedError,
};

// ---------------------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------------------

/** encodeURIComponent that also escapes !'()* so only unreserved characters stay literal. */
function strictEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Percent-encode a key for a URL path: every UTF-8 byte that is not unreserved
 * (A-Z a-z 0-9 - . _ ~) is escaped and `/` is kept. A key with a `.` or `..` segment
 * (`a/../b`) has all its slashes sent as `%2F` instead, because fetch's URL parser would
 * otherwise resolve the segment (even as `%2E%2E`); the server decodes it back to the
 * literal key. A key that is exactly `.` or `..` cannot be sent through fetch at all.
 */
function encodeKey(key) {
  if (typeof key !== 'string') throw new TypeError(`key must be a string, not ${typeof key}`);
  if (key === '.' || key === '..') throw new TypeError(`"${key}" is not allowed as a key name.`);
  const segments = key.split('/');
  if (segments.some((seg) => seg === '.' || seg === '..')) return strictEncode(key);
  return segments.map(strictEncode).join('/');
}

function encodeSegment(name) {
  if (typeof name !== 'string') throw new TypeError(`namespace must be a string, not ${typeof name}`);
  return strictEncode(name);
}

function buildQuery(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    parts.push(`${strictEncode(k)}=${strictEncode(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function httpDate(value) {
  if (typeof value === 'string') return value;
  const d = typeof value === 'number' ? new Date(value) : value;
  return d.toUTCString();
}

function quoteEtag(etag) {
  const e = String(etag).trim();
  if (e === '*' || e.startsWith('"') || e.startsWith('W/')) return e;
  return `"${e}"`;
}

/**
 * R2-style range → Range header: "bytes=0-99", {offset, length}, {offset}, {suffix}.
 */
function rangeHeader(range) {
  if (typeof range === 'string') return range.startsWith('bytes=') ? range : `bytes=${range}`;
  if (range.suffix !== undefined) {
    if (range.offset !== undefined || range.length !== undefined) throw new TypeError('Suffix is incompatible with offset.');
    return `bytes=-${range.suffix}`;
  }
  const offset = range.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError('range offset must be an integer >= 0');
  if (range.length !== undefined) {
    if (!Number.isInteger(range.length) || range.length <= 0) throw new RangeError('range length must be an integer > 0');
    return `bytes=${offset}-${offset + range.length - 1}`;
  }
  return `bytes=${offset}-`;
}

function parseDate(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

function parseRetryAfter(value) {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, n);
  const d = parseDate(value);
  return d ? Math.max(0, (d.getTime() - Date.now()) / 1000) : null;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isStreamBody(body) {
  return body != null && typeof body !== 'string' && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer);
}

async function errorFrom(res, svc, op) {
  let text = '';
  try {
    text = await res.text();
  } catch {
    text = '';
  }
  let body = text;
  let error = null;
  let code = null;
  let details = null;
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    body = parsed;
    if (parsed.error !== undefined && parsed.error !== null) {
      error = typeof parsed.error === 'string' ? parsed.error : JSON.stringify(parsed.error);
    }
    code = typeof parsed.code === 'string' ? parsed.code : null;
    details = parsed.details ?? null;
  }
  const shown = error || (text.trim() ? text.trim().slice(0, 200) : null) || `HTTP ${res.status} ${res.statusText}`;
  let message = `${svc} ${op} failed: ${shown}`;
  if (typeof details === 'string' && details && details !== shown) message += ` (${details})`;
  const Cls = ERRORS_BY_STATUS[res.status] || StorageError;
  const opts = { status: res.status, code, details, error, body };
  if (Cls === RateLimitedError) opts.retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  return new Cls(message, opts);
}

const CONNECT_HINT = 'is era-emu running? Start it with `era-emu up` (it listens on http://127.0.0.1:8787), ' +
  'run your program under `era-emu exec -- <command>`, or set ERA_STORAGE_URL to where it listens';

function connectionError(svc, op, err, url) {
  const timedOut = err && (err.name === 'AbortError' || err.name === 'TimeoutError');
  if (timedOut) return new StorageConnectionError(`${svc} ${op} failed: ${url} timed out`, { code: 'TIMEOUT', cause: err });
  const reason = (err && err.cause && (err.cause.code || err.cause.message)) || (err && (err.code || err.message)) || String(err);
  const unreachable = isRefused(err) || /ENOTFOUND|EAI_AGAIN/.test(String(reason));
  const hint = unreachable ? `; ${CONNECT_HINT}` : '';
  return new StorageConnectionError(`${svc} ${op} failed: cannot reach ${url} (${reason})${hint}`, { code: 'CONNECTION_FAILED', cause: err });
}

function isRefused(err) {
  if (err && err.code === 'ECONNREFUSED') return true;
  const c = err && err.cause;
  if (!c) return false;
  if (c.code === 'ECONNREFUSED') return true;
  return Array.isArray(c.errors) && c.errors.length > 0 && c.errors.every((e) => e.code === 'ECONNREFUSED');
}

/**
 * Send a streamed request body with node:http(s) and wrap the answer in a fetch Response.
 * fetch (undici, Node 18-22) reads a stream body far ahead of the socket, so a 200 MiB upload
 * would sit in memory; piping into http.ClientRequest honours socket backpressure.
 */
function streamRequest(url, { method, headers, body, signal }) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const mod = target.protocol === 'https:' ? https : http;
    const req = mod.request(target, { method, headers, signal }, (incoming) => {
      const status = incoming.statusCode;
      const h = new Headers();
      for (let i = 0; i < incoming.rawHeaders.length; i += 2) h.append(incoming.rawHeaders[i], incoming.rawHeaders[i + 1]);
      const noBody = status === 204 || status === 304 || method === 'HEAD';
      if (noBody) incoming.resume();
      resolve(new Response(noBody ? null : Readable.toWeb(incoming), { status, statusText: incoming.statusMessage, headers: h }));
    });
    req.on('error', reject);
    const source = typeof body.pipe === 'function' ? body : typeof body.getReader === 'function' ? Readable.fromWeb(body) : Readable.from(body);
    // An early answer (e.g. 412) may cut the upload short; the response has already resolved.
    pipeline(source, req).catch(reject);
  });
}

// ---------------------------------------------------------------------------------------
// R2 object model
// ---------------------------------------------------------------------------------------

const HTTP_METADATA_HEADERS = {
  'content-type': 'contentType',
  'content-language': 'contentLanguage',
  'content-disposition': 'contentDisposition',
  'content-encoding': 'contentEncoding',
  'cache-control': 'cacheControl',
  expires: 'cacheExpiry',
};
const META_PREFIX = 'x-era-meta-';

function decodeHeaderText(value) {
  // fetch exposes header bytes as latin-1 code units; recover UTF-8 text.
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return text.includes('\uFFFD') ? value : text;
}

/** Build an R2Object from response headers. */
function objectFromHeaders(key, res) {
  const etag = res.headers.get('etag');
  let size = Number(res.headers.get('content-length') || 0);
  let range = null;
  const cr = res.headers.get('content-range');
  const m = cr && /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim());
  if (m) {
    range = { offset: Number(m[1]), length: Number(m[2]) - Number(m[1]) + 1 };
    if (m[3] !== '*') size = Number(m[3]);
  }
  const httpMetadata = {};
  const customMetadata = {};
  for (const [name, value] of res.headers) {
    const low = name.toLowerCase();
    if (HTTP_METADATA_HEADERS[low]) httpMetadata[HTTP_METADATA_HEADERS[low]] = value;
    else if (low.startsWith(META_PREFIX)) customMetadata[low.slice(META_PREFIX.length)] = decodeHeaderText(value);
  }
  return {
    key,
    size,
    etag: etag ? etag.replace(/^"|"$/g, '') : null,
    httpEtag: etag,
    uploaded: parseDate(res.headers.get('last-modified')),
    version: res.headers.get('x-era-version'),
    httpMetadata,
    customMetadata,
    range,
    status: res.status,
    notModified: res.status === 304,
  };
}

function objectFromJson(key, data) {
  const etag = data.etag ?? null;
  return {
    key: data.key ?? key,
    size: Number(data.size || 0),
    etag,
    httpEtag: data.httpEtag ?? (etag ? `"${etag}"` : null),
    uploaded: parseDate(data.uploaded),
    version: data.version ?? null,
    httpMetadata: { ...(data.httpMetadata || {}) },
    customMetadata: { ...(data.customMetadata || {}) },
    range: null,
    status: 200,
    notModified: false,
  };
}

// ---------------------------------------------------------------------------------------
// Client / transport
// ---------------------------------------------------------------------------------------

/**
 * Connection settings shared by the kv, d1, r2 and resources APIs. Every option left
 * undefined is read from the environment on each request.
 */
class Client {
  /**
   * @param {object} [options]
   * @param {string} [options.baseUrl]   default $ERA_STORAGE_URL or http://127.0.0.1:8787
   * @param {string} [options.token]     default $ERA_EMU_TOKEN; '' sends none
   * @param {string} [options.location]  default $ERA_LOCATION; '' sends none
   * @param {number} [options.timeout]   ms until response headers (JSON calls: until the body is read); default $ERA_STORAGE_TIMEOUT s or 30 s
   * @param {number} [options.retries=2] extra attempts for safe requests (GET/HEAD, refused connections)
   * @param {boolean} [options.retryWrites=false] also retry writes after resets/timeouts/429/5xx
   * @param {number} [options.backoff=100] first retry delay in ms (doubles, capped at 10 s)
   * @param {Record<string,string>} [options.headers] extra headers on every request
   */
  constructor(options = {}) {
    const { baseUrl, token, location, timeout, retries = 2, retryWrites = false, backoff = 100, headers = {} } = options;
    if (!Number.isInteger(retries) || retries < 0) throw new RangeError('retries must be an integer >= 0');
    this.baseUrl = baseUrl;
    this.token = token;
    this.location = location;
    this.timeout = timeout;
    this.retries = retries;
    this.retryWrites = retryWrites;
    this.backoff = backoff;
    this.headers = { ...headers };
    this.kv = new KV(this);
    this.d1 = new D1(this);
    this.r2 = new R2(this);
    this.resources = new Resources(this);
  }

  _baseUrl() {
    return (this.baseUrl || process.env.ERA_STORAGE_URL || DEFAULT_URL).replace(/\/+$/, '');
  }

  _timeoutMs() {
    if (this.timeout !== undefined && this.timeout !== null) return this.timeout;
    const env = Number(process.env.ERA_STORAGE_TIMEOUT);
    return Number.isFinite(env) && env > 0 ? env * 1000 : DEFAULT_TIMEOUT_MS;
  }

  _defaultHeaders() {
    const h = { 'user-agent': `era-storage-js/${VERSION}`, accept: 'application/json' };
    const token = this.token ?? process.env.ERA_EMU_TOKEN ?? '';
    if (token) h.authorization = `Bearer ${token}`;
    const location = this.location ?? process.env.ERA_LOCATION ?? '';
    if (location) h['x-era-location'] = location;
    for (const [k, v] of Object.entries(this.headers)) h[k.toLowerCase()] = v;
    return h;
  }

  _delay(attempt, retryAfterS) {
    const ms = retryAfterS !== null && retryAfterS !== undefined
      ? retryAfterS * 1000
      : this.backoff * 2 ** attempt * (0.5 + Math.random() / 2);
    return sleep(Math.max(0, Math.min(ms, MAX_RETRY_WAIT_MS)));
  }

  /**
   * Send one request with bounded retries. Returns `{ res, done }`: the fetch Response
   * and a function that stops its timeout timer (call it once the body has been consumed).
   *
   * @param {string} method
   * @param {string} urlPath path (already encoded) plus query
   * @param {object} opts
   * @param {string} opts.svc  e.g. "KV" (for error messages)
   * @param {string} opts.op   e.g. "set"
   * @param {*} [opts.json]    JSON body
   * @param {*} [opts.body]    raw body, or a function returning a fresh body per attempt
   * @param {object} [opts.headers]
   * @param {boolean} [opts.retry]  default: true for GET/HEAD, else client.retryWrites
   * @param {boolean} [opts.timeoutBody] keep the timeout running until done() is called
   */
  async request(method, urlPath, { svc, op, json, body, headers, retry, timeoutBody = true } = {}) {
    const allHeaders = this._defaultHeaders();
    let makeBody = typeof body === 'function' ? body : () => body;
    if (json !== undefined) {
      const text = JSON.stringify(json);
      makeBody = () => text;
      allHeaders['content-type'] = 'application/json';
    }
    for (const [k, v] of Object.entries(headers || {})) if (v !== undefined && v !== null) allHeaders[k.toLowerCase()] = String(v);
    if (retry === undefined || retry === null) retry = method === 'GET' || method === 'HEAD' || this.retryWrites;
    // A one-shot stream cannot be sent twice; a body factory (file path) can.
    const canResend = retry && (typeof body === 'function' || !isStreamBody(body));
    const url = this._baseUrl() + urlPath;
    const attempts = 1 + this.retries;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const last = attempt === attempts - 1;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), this._timeoutMs());
      const done = () => clearTimeout(timer);
      const payload = makeBody();
      const init = { method, headers: allHeaders, signal: controller.signal };
      if (payload !== undefined && payload !== null) init.body = payload;
      let res;
      try {
        res = isStreamBody(payload) ? await streamRequest(url, init) : await fetch(url, init);
      } catch (err) {
        done();
        if (payload && typeof payload.destroy === 'function') payload.destroy();
        const timedOut = controller.signal.aborted;
        // A refused connection sent nothing, so any method may retry it.
        const mayRetry = !timedOut && isRefused(err) ? true : canResend;
        if (last || !mayRetry) throw connectionError(svc, op, timedOut ? controller.signal.reason : err, this._baseUrl());
        await this._delay(attempt);
        continue;
      }
      if ([429, 502, 503, 504].includes(res.status) && canResend && !last) {
        const ra = parseRetryAfter(res.headers.get('retry-after'));
        await res.arrayBuffer().catch(() => {});
        done();
        await this._delay(attempt, ra);
        continue;
      }
      if (!timeoutBody) done();
      return { res, done };
    }
    throw new Error('unreachable');
  }

  /**
   * JSON request → parsed JSON body; `null` on 404 when `noneOn404`; throws the mapped
   * StorageError otherwise.
   */
  async jsonCall(method, urlPath, { svc, op, json, noneOn404 = false, retry } = {}) {
    const { res, done } = await this.request(method, urlPath, { svc, op, json, retry });
    try {
      if (res.status === 404 && noneOn404) {
        await res.arrayBuffer().catch(() => {});
        return null;
      }
      if (!res.ok) throw await errorFrom(res, svc, op);
      const text = await res.text();
      if (!text) return {};
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new StorageError(`${svc} ${op} failed: invalid JSON in response`, { status: res.status, body: text.slice(0, 1000), cause: err });
      }
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw connectionError(svc, op, err, this._baseUrl());
    } finally {
      done();
    }
  }
}

async function* paginate(fetchPage, maxPages) {
  let cursor;
  const seen = new Set();
  for (let page = 0; page < maxPages; page++) {
    const { items, done, next } = await fetchPage(cursor);
    yield* items;
    if (done) return;
    if (!next || seen.has(next)) throw new StorageError('list failed: server reported more results but no new cursor');
    seen.add(next);
    cursor = next;
  }
  throw new StorageError(`list failed: more than ${maxPages} pages`);
}

// ---------------------------------------------------------------------------------------
// KV
// ---------------------------------------------------------------------------------------

class KV {
  constructor(client) {
    this.client = client;
  }

  _path(ns, key) {
    const p = `/api/storage/kv/${encodeSegment(ns)}`;
    return key === undefined ? p : `${p}/${encodeKey(key)}`;
  }

  /**
   * Store a value. Returns true on success.
   * @param {object} [options] { ttl (s, min 60), expiration (epoch s or Date), retry }
   */
  async set(namespace, key, value, metadata = null, options = {}) {
    const body = { value, metadata };
    if (options.ttl !== undefined && options.ttl !== null) body.expirationTtl = Math.trunc(options.ttl);
    if (options.expiration !== undefined && options.expiration !== null) {
      body.expiration = options.expiration instanceof Date ? Math.floor(options.expiration.getTime() / 1000) : Math.trunc(options.expiration);
    }
    const result = await this.client.jsonCall('PUT', this._path(namespace, key), { svc: 'KV', op: 'set', json: body, retry: options.retry });
    return result.success || false;
  }

  /** Alias of set(). */
  put(namespace, key, value, metadata = null, options = {}) {
    return this.set(namespace, key, value, metadata, options);
  }

  /**
   * Value as text, or null when missing. Legacy quirk kept (wire spec §6): an EMPTY value
   * also returns null. Use getWithMetadata() to tell them apart.
   */
  async get(namespace, key) {
    const result = await this.client.jsonCall('GET', this._path(namespace, key), { svc: 'KV', op: 'get', noneOn404: true });
    if (result === null) return null;
    return result.value || null;
  }

  /** {value, metadata, expiration} or null when missing; '' stays ''. */
  async getWithMetadata(namespace, key) {
    const result = await this.client.jsonCall('GET', `${this._path(namespace, key)}?metadata=true`, { svc: 'KV', op: 'get', noneOn404: true });
    if (result === null) return null;
    return { value: result.value ?? null, metadata: result.metadata ?? null, expiration: result.expiration ?? null };
  }

  /** Delete a key (true also when it did not exist). */
  async delete(namespace, key, options = {}) {
    const result = await this.client.jsonCall('DELETE', this._path(namespace, key), { svc: 'KV', op: 'delete', retry: options.retry });
    return result.success || false;
  }

  /** One page: {keys, list_complete, cursor?}. */
  listPage(namespace, prefix = '', limit = 1000, cursor = undefined) {
    return this.client.jsonCall('GET', this._path(namespace) + buildQuery({ prefix, limit, cursor }), { svc: 'KV', op: 'list' });
  }

  /** The `keys` of one page (legacy shape, default limit 100). */
  async list(namespace, prefix = '', limit = 100, options = {}) {
    const page = await this.listPage(namespace, prefix, limit, options.cursor);
    return page.keys || [];
  }

  /** Async iterator over every key with `prefix`, following cursors. */
  listAll(namespace, prefix = '', { pageSize = 1000, maxPages = MAX_PAGES } = {}) {
    return paginate(async (cursor) => {
      const page = await this.listPage(namespace, prefix, pageSize, cursor);
      return { items: page.keys || [], done: page.list_complete !== false, next: page.cursor };
    }, maxPages);
  }
}

// ---------------------------------------------------------------------------------------
// D1
// ---------------------------------------------------------------------------------------

class D1 {
  constructor(client) {
    this.client = client;
  }

  _path(ns, op) {
    return `/api/storage/d1/${encodeSegment(ns)}/${op}`;
  }

  /** Rows of a statement. */
  async query(namespace, sql, params = []) {
    const result = await this.client.jsonCall('POST', this._path(namespace, 'query'), { svc: 'D1', op: 'query', json: { sql, params: params || [] }, retry: false });
    return result.results || [];
  }

  /** Run a statement for its effect: {success, meta}. */
  exec(namespace, sql, params = []) {
    return this.client.jsonCall('POST', this._path(namespace, 'exec'), { svc: 'D1', op: 'exec', json: { sql, params: params || [] }, retry: false });
  }

  /** First row (or that row's `column`), or null when there are no rows. */
  async first(namespace, sql, params = [], column = undefined) {
    const rows = await this.query(namespace, sql, params);
    if (!rows.length) return null;
    if (column === undefined) return rows[0];
    if (!(column in rows[0])) throw new Error(`column "${column}" not in result`);
    return rows[0][column];
  }

  /**
   * Run statements in one transaction. Each is "SQL", [sql, params] or {sql, params}.
   * Returns one {results, meta} per statement.
   */
  async batch(namespace, statements) {
    const stmts = statements.map((st) => {
      if (typeof st === 'string') return { sql: st, params: [] };
      if (Array.isArray(st)) return { sql: st[0], params: st[1] || [] };
      return { sql: st.sql, params: st.params || [] };
    });
    const result = await this.client.jsonCall('POST', this._path(namespace, 'batch'), { svc: 'D1', op: 'batch', json: { statements: stmts }, retry: false });
    return result.results || [];
  }
}

// ---------------------------------------------------------------------------------------
// R2
// ---------------------------------------------------------------------------------------

function toBuffer(content, what) {
  if (typeof content === 'string') return Buffer.from(content);
  if (Buffer.isBuffer(content)) return content;
  if (content instanceof Uint8Array) return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (content instanceof ArrayBuffer) return Buffer.from(content);
  throw new Error(what);
}

function conditionHeaders(o = {}) {
  const h = {};
  if (o.ifMatch != null) h['if-match'] = quoteEtag(o.ifMatch);
  if (o.ifNoneMatch != null) h['if-none-match'] = quoteEtag(o.ifNoneMatch);
  if (o.ifModifiedSince != null) h['if-modified-since'] = httpDate(o.ifModifiedSince);
  if (o.ifUnmodifiedSince != null) h['if-unmodified-since'] = httpDate(o.ifUnmodifiedSince);
  return h;
}

const HTTP_METADATA_TO_HEADER = Object.fromEntries(Object.entries(HTTP_METADATA_HEADERS).map(([h, f]) => [f, h]));

/** Header values must be ByteStrings: send UTF-8 bytes as latin-1 code units. */
function headerValue(v) {
  return Buffer.from(String(v), 'utf8').toString('latin1');
}

class R2 {
  constructor(client) {
    this.client = client;
  }

  _path(ns, key) {
    const p = `/api/storage/r2/${encodeSegment(ns)}`;
    return key === undefined ? p : `${p}/${encodeKey(key)}`;
  }

  _rawPath(bucket, key) {
    return `/api/r2/${encodeSegment(bucket)}/${encodeKey(key)}`;
  }

  // -- legacy JSON route -------------------------------------------------------------

  /**
   * Store string/Buffer/Uint8Array content as one base64 JSON body. Returns true.
   * @param {object} [options] { contentType, httpMetadata, retry }
   */
  async put(namespace, key, content, metadata = null, options = {}) {
    const buf = toBuffer(content, 'Content must be string, Buffer, or Uint8Array');
    const body = { content: buf.toString('base64'), metadata };
    const hm = { ...(options.httpMetadata || {}) };
    if (options.contentType) hm.contentType = options.contentType;
    if (Object.keys(hm).length) body.httpMetadata = hm;
    const result = await this.client.jsonCall('PUT', this._path(namespace, key), { svc: 'R2', op: 'put', json: body, retry: options.retry });
    return result.success || false;
  }

  /**
   * Object bytes as a Buffer, or null when missing. Legacy quirk kept (wire spec §6): an
   * EMPTY object also returns null. Use getObject() to tell them apart.
   */
  async get(namespace, key) {
    const result = await this.client.jsonCall('GET', this._path(namespace, key), { svc: 'R2', op: 'get', noneOn404: true });
    if (result === null) return null;
    return result.content ? Buffer.from(result.content, 'base64') : null;
  }

  /** Delete an object (true also when it did not exist). */
  async delete(namespace, key, options = {}) {
    const result = await this.client.jsonCall('DELETE', this._path(namespace, key), { svc: 'R2', op: 'delete', retry: options.retry });
    return result.success || false;
  }

  /** One page: {objects, truncated, cursor?, delimitedPrefixes?}. */
  listPage(namespace, prefix = '', limit = 1000, cursor = undefined, delimiter = undefined) {
    return this.client.jsonCall('GET', this._path(namespace) + buildQuery({ prefix, limit, cursor, delimiter }), { svc: 'R2', op: 'list' });
  }

  /** The `objects` of one page (legacy shape, default limit 100). */
  async list(namespace, prefix = '', limit = 100, options = {}) {
    const page = await this.listPage(namespace, prefix, limit, options.cursor, options.delimiter);
    return page.objects || [];
  }

  /** Async iterator over every object with `prefix`, following cursors. */
  listAll(namespace, prefix = '', { pageSize = 1000, maxPages = MAX_PAGES } = {}) {
    return paginate(async (cursor) => {
      const page = await this.listPage(namespace, prefix, pageSize, cursor);
      return { items: page.objects || [], done: !page.truncated, next: page.cursor };
    }, maxPages);
  }

  // -- binary route ------------------------------------------------------------------

  /** Metadata (no body) or null when missing. */
  async head(namespace, key) {
    const { res, done } = await this.client.request('HEAD', this._rawPath(namespace, key), { svc: 'R2', op: 'head' });
    try {
      if (res.status === 404) return null;
      if (res.status !== 200) throw await errorFrom(res, 'R2', 'head');
      return objectFromHeaders(key, res);
    } finally {
      done();
    }
  }

  /**
   * Streaming GET: `{...R2Object, body: Readable}` (body null on 304), or null when missing.
   * Options: range ({offset,length} | {suffix} | "bytes=..."), ifMatch, ifNoneMatch,
   * ifModifiedSince, ifUnmodifiedSince. Throws PreconditionFailedError (412),
   * RangeNotSatisfiableError (416).
   */
  async getStream(namespace, key, options = {}) {
    const headers = conditionHeaders(options);
    if (options.range !== undefined && options.range !== null) headers.range = rangeHeader(options.range);
    const { res, done } = await this.client.request('GET', this._rawPath(namespace, key), { svc: 'R2', op: 'get', headers, timeoutBody: false });
    done();
    if (res.status === 200 || res.status === 206 || res.status === 304) {
      const obj = objectFromHeaders(key, res);
      if (res.status === 304 || !res.body) {
        if (res.body) await res.arrayBuffer().catch(() => {});
        return { ...obj, body: res.status === 304 ? null : Readable.from([]) };
      }
      return { ...obj, body: Readable.fromWeb(res.body) };
    }
    if (res.status === 404) {
      await res.arrayBuffer().catch(() => {});
      return null;
    }
    throw await errorFrom(res, 'R2', 'get');
  }

  /** Like getStream() but buffers the body: `{...R2Object, body: Buffer}` (Buffer.alloc(0) when empty, null on 304). */
  async getObject(namespace, key, options = {}) {
    const obj = await this.getStream(namespace, key, options);
    if (obj === null || obj.body === null) return obj;
    const chunks = [];
    for await (const chunk of obj.body) chunks.push(chunk);
    return { ...obj, body: Buffer.concat(chunks) };
  }

  /**
   * Stream an object into a file (written to a temp sibling, then renamed). Returns the
   * object's metadata, or null when missing. On 304 the file is left untouched.
   */
  async getFile(namespace, key, filePath, options = {}) {
    const obj = await this.getStream(namespace, key, options);
    if (obj === null || obj.body === null) return obj;
    const dir = path.dirname(path.resolve(filePath));
    const tmp = path.join(dir, `.era-download-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    try {
      await pipeline(obj.body, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, filePath);
    } catch (err) {
      await fs.promises.unlink(tmp).catch(() => {});
      if (err instanceof StorageError) throw err;
      throw connectionError('R2', 'get', err, this.client ? this.client._baseUrl() : '');
    }
    const { body, ...meta } = obj;
    return meta;
  }

  /**
   * Upload through the binary route. `data`: string, Buffer, Uint8Array, ArrayBuffer,
   * a Readable / async iterable / web ReadableStream (streamed, never buffered), or
   * `{ path }` for a file. Options: contentType, metadata (custom), httpMetadata,
   * ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince, contentLength (for streams),
   * retry. Returns the stored R2Object. Throws PreconditionFailedError on 412.
   */
  async putObject(namespace, key, data, options = {}) {
    const headers = conditionHeaders(options);
    for (const [field, value] of Object.entries(options.httpMetadata || {})) {
      const h = HTTP_METADATA_TO_HEADER[field];
      if (!h) throw new TypeError(`unknown httpMetadata field "${field}"`);
      headers[h] = value instanceof Date ? value.toUTCString() : headerValue(value);
    }
    headers['content-type'] = options.contentType || headers['content-type'] || 'application/octet-stream';
    for (const [name, value] of Object.entries(options.metadata || {})) headers[`x-era-meta-${name}`] = headerValue(value);
    let body;
    if (data && typeof data === 'object' && typeof data.path === 'string' && !(data instanceof Readable)) {
      const st = await fs.promises.stat(data.path);
      headers['content-length'] = String(st.size);
      const filePath = data.path;
      body = () => fs.createReadStream(filePath, { highWaterMark: 1 << 16 });
    } else if (typeof data === 'string' || data instanceof Uint8Array || data instanceof ArrayBuffer) {
      body = toBuffer(data, 'unreachable');
    } else if (data && (typeof data.pipe === 'function' || typeof data[Symbol.asyncIterator] === 'function' || typeof data.getReader === 'function')) {
      body = data;
      if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    } else {
      throw new TypeError('data must be a string, Buffer, Uint8Array, ArrayBuffer, Readable, ReadableStream or { path }');
    }
    const { res, done } = await this.client.request('PUT', this._rawPath(namespace, key), { svc: 'R2', op: 'put', body, headers, retry: options.retry });
    try {
      if (!res.ok) throw await errorFrom(res, 'R2', 'put');
      const text = await res.text();
      return objectFromJson(key, text ? JSON.parse(text) : {});
    } finally {
      done();
    }
  }

  /** Stream a file to R2 (content type guessed from the extension unless given). */
  putFile(namespace, key, filePath, options = {}) {
    const contentType = options.contentType || guessContentType(filePath);
    return this.putObject(namespace, key, { path: filePath }, { ...options, contentType });
  }

  /**
   * Ask the server for a signed URL (POST /api/signed-urls) that works without the token:
   * {url, expires_at, expires_ms, method, bucket, key, one_time, max_bytes?, content_type?, headers?}.
   * Options: method ('GET' (HEAD too) | 'PUT', default GET), expiresIn (1..604800 s of the
   * emulator's virtual clock, default 3600), oneTime (works for exactly one request),
   * contentType and maxBytes (PUT only: the upload must send that Content-Type, at most that
   * many bytes). A refused use is a 403 JSON error with a `reason`.
   */
  signUrl(bucket, key, options = {}) {
    const body = {
      bucket,
      key,
      method: String(options.method || 'GET').toUpperCase(),
      expiresIn: options.expiresIn ?? 3600,
      oneTime: Boolean(options.oneTime),
    };
    if (options.contentType != null) body.contentType = options.contentType;
    if (options.maxBytes != null) body.maxBytes = options.maxBytes;
    return this.client.jsonCall('POST', '/api/signed-urls', { svc: 'R2', op: 'signUrl', json: body, retry: false });
  }
}

const CONTENT_TYPES = {
  '.txt': 'text/plain', '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css', '.csv': 'text/csv',
  '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.xml': 'application/xml',
  '.pdf': 'application/pdf', '.zip': 'application/zip', '.gz': 'application/gzip', '.tar': 'application/x-tar',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
  '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.mp3': 'audio/mpeg', '.wav': 'audio/wav', '.mp4': 'video/mp4',
  '.webm': 'video/webm', '.wasm': 'application/wasm', '.md': 'text/markdown',
};

function guessContentType(filePath) {
  return CONTENT_TYPES[path.extname(String(filePath)).toLowerCase()] || 'application/octet-stream';
}

// ---------------------------------------------------------------------------------------
// Resource registry
// ---------------------------------------------------------------------------------------

class Resources {
  constructor(client) {
    this.client = client;
  }

  /** {resources, total, offset, limit, has_more}. Filters: type, namespace, key_prefix, limit, offset. */
  list(filters = {}) {
    const { type, namespace, key_prefix, keyPrefix, limit, offset } = filters;
    const q = buildQuery({ type, namespace, key_prefix: key_prefix ?? keyPrefix, limit, offset });
    return this.client.jsonCall('GET', `/api/resources/list${q}`, { svc: 'Resources', op: 'list' });
  }

  /** Async iterator over every matching resource (offset paging). */
  async *listAll(filters = {}, { pageSize = 100, maxPages = MAX_PAGES } = {}) {
    let offset = 0;
    for (let i = 0; i < maxPages; i++) {
      const page = await this.list({ ...filters, limit: pageSize, offset });
      const items = page.resources || [];
      yield* items;
      if (!page.has_more || !items.length) return;
      offset += items.length;
    }
    throw new StorageError(`Resources list failed: more than ${maxPages} pages`);
  }

  /** {total, by_type, by_namespace, total_size}. */
  stats() {
    return this.client.jsonCall('GET', '/api/resources/stats', { svc: 'Resources', op: 'stats' });
  }
}

// ---------------------------------------------------------------------------------------
// Legacy static classes bound to the default client
// ---------------------------------------------------------------------------------------

const defaultClient = new Client();

/** Make a class whose static methods forward to `defaultClient[prop]`. */
function staticFacade(name, Impl, prop) {
  const Facade = { [name]: class {} }[name];
  for (const method of Object.getOwnPropertyNames(Impl.prototype)) {
    if (method === 'constructor' || method.startsWith('_')) continue;
    Object.defineProperty(Facade, method, {
      value: function (...args) {
        return defaultClient[prop][method](...args);
      },
      writable: true,
      configurable: true,
    });
  }
  return Facade;
}

/** Key-value storage (original SDK surface, static async methods). */
const KVStorage = staticFacade('KVStorage', KV, 'kv');
/** D1 SQL database (original SDK surface, static async methods). */
const D1Storage = staticFacade('D1Storage', D1, 'd1');
/** R2 object storage (original SDK surface, static async methods). */
const R2Storage = staticFacade('R2Storage', R2, 'r2');
/** Resource discovery (static). */
const ResourceRegistry = staticFacade('ResourceRegistry', Resources, 'resources');

/** Change the default client's settings (baseUrl, token, location, timeout, retries, retryWrites, backoff, headers). */
function configure(settings = {}) {
  const allowed = ['baseUrl', 'token', 'location', 'timeout', 'retries', 'retryWrites', 'backoff', 'headers'];
  for (const [k, v] of Object.entries(settings)) {
    if (!allowed.includes(k)) throw new TypeError(`unknown setting "${k}"`);
    defaultClient[k] = v;
  }
  return defaultClient;
}

/** Shortcut for R2Storage.signUrl(). */
function signUrl(bucket, key, options = {}) {
  return defaultClient.r2.signUrl(bucket, key, options);
}

module.exports = {
  KVStorage,
  D1Storage,
  R2Storage,
  ResourceRegistry,
  Client,
  KV,
  D1,
  R2,
  Resources,
  StorageError,
  EraStorageError: StorageError,
  NotFoundError,
  PreconditionFailedError,
  RateLimitedError,
  RangeNotSatisfiableError,
  StorageConnectionError,
  configure,
  defaultClient,
  encodeKey,
  signUrl,
  VERSION,
};
