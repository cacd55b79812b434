// Type declarations for the ERA storage SDK (era_storage.js / era_storage.mjs).
/// <reference types="node" />
import type { Readable } from 'node:stream';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ErrorOptions {
  status?: number | null;
  code?: string | null;
  details?: unknown;
  error?: string | null;
  body?: unknown;
  cause?: unknown;
}

/** Any failed call; message is "<SVC> <op> failed: <error>" as in the original SDK. */
export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions);
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Server error code, e.g. "KV_KEY_TOO_LONG". */
  code: string | null;
  /** Server `details` (e.g. "D1_ERROR: ..."). */
  details: unknown;
  /** Server `error` string (legacy human message). */
  error: string | null;
  body: unknown;
}
export { StorageError as EraStorageError };
export class NotFoundError extends StorageError {}
export class PreconditionFailedError extends StorageError {}
export class RateLimitedError extends StorageError {
  /** Retry-After in seconds, if the server sent one. */
  retryAfter: number | null;
}
export class RangeNotSatisfiableError extends StorageError {}
/** No response: `code` is "CONNECTION_FAILED" or "TIMEOUT". */
export class StorageConnectionError extends StorageError {}

export interface ClientOptions {
  /** Default: $ERA_STORAGE_URL or http://127.0.0.1:8787 (where `era-emu up` listens). */
  baseUrl?: string;
  /** Default: $ERA_EMU_TOKEN; '' sends none. */
  token?: string;
  /** X-Era-Location; default $ERA_LOCATION; '' sends none. */
  location?: string;
  /** Milliseconds until response headers (JSON calls: until the body is read). */
  timeout?: number;
  /** Extra attempts for GET/HEAD and refused connections (default 2). */
  retries?: number;
  /** Also retry writes (default false). */
  retryWrites?: boolean;
  /** First retry delay in ms (default 100, doubling, capped at 10 s). */
  backoff?: number;
  headers?: Record<string, string>;
}

export interface KVKey {
  name: string;
  metadata?: Json;
  /** Absolute expiry, seconds since the epoch. */
  expiration?: number;
}
export interface KVListPage {
  keys: KVKey[];
  list_complete: boolean;
  cursor?: string;
}
export interface KVValueWithMetadata {
  value: string | null;
  metadata: Json | null;
  expiration: number | null;
}
export interface KVSetOptions {
  /** Seconds from now (min 60). */
  ttl?: number;
  /** Absolute expiry: epoch seconds or a Date. */
  expiration?: number | Date;
  retry?: boolean;
}
export interface PageOptions {
  pageSize?: number;
  maxPages?: number;
}

export class KV {
  constructor(client: Client);
  set(namespace: string, key: string, value: string, metadata?: Json | null, options?: KVSetOptions): Promise<boolean>;
  put(namespace: string, key: string, value: string, metadata?: Json | null, options?: KVSetOptions): Promise<boolean>;
  /** Legacy: an empty value is returned as null (see getWithMetadata). */
  get(namespace: string, key: string): Promise<string | null>;
  getWithMetadata(namespace: string, key: string): Promise<KVValueWithMetadata | null>;
  delete(namespace: string, key: string, options?: { retry?: boolean }): Promise<boolean>;
  list(namespace: string, prefix?: string, limit?: number, options?: { cursor?: string }): Promise<KVKey[]>;
  listPage(namespace: string, prefix?: string, limit?: number, cursor?: string): Promise<KVListPage>;
  listAll(namespace: string, prefix?: string, options?: PageOptions): AsyncGenerator<KVKey, void, undefined>;
}

export interface D1Meta {
  changes?: number;
  last_row_id?: number;
  duration?: number;
  rows_read?: number;
  rows_written?: number;
  [field: string]: unknown;
}
export type Row = Record<string, unknown>;
export type Statement = string | [string, unknown[]?] | { sql: string; params?: unknown[] };

export class D1 {
  constructor(client: Client);
  query<T = Row>(namespace: string, sql: string, params?: unknown[]): Promise<T[]>;
  exec(namespace: string, sql: string, params?: unknown[]): Promise<{ success: boolean; meta: D1Meta }>;
  first<T = Row>(namespace: string, sql: string, params?: unknown[]): Promise<T | null>;
  first(namespace: string, sql: string, params: unknown[], column: string): Promise<unknown>;
  batch(namespace: string, statements: Statement[]): Promise<Array<{ results: Row[]; meta: D1Meta }>>;
}

export interface R2HttpMetadata {
  contentType?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  cacheControl?: string;
  cacheExpiry?: string | Date;
}
export interface R2Object {
  key: string;
  size: number;
  /** Unquoted. */
  etag: string | null;
  /** Quoted, for HTTP headers. */
  httpEtag: string | null;
  uploaded: Date | null;
  version: string | null;
  httpMetadata: R2HttpMetadata;
  customMetadata: Record<string, string>;
  /** Range actually returned (206). */
  range: { offset: number; length: number } | null;
  /** 200, 206, or 304 (not modified). */
  status: number;
  notModified: boolean;
}
export interface R2ObjectBody extends R2Object {
  body: Buffer | null;
}
export interface R2ObjectStream extends R2Object {
  body: Readable | null;
}
export interface R2ListedObject {
  key: string;
  size: number;
  uploaded: string;
  etag?: string;
}
export interface R2ListPage {
  objects: R2ListedObject[];
  truncated: boolean;
  cursor?: string;
  delimitedPrefixes?: string[];
}
export type R2Range = string | { offset?: number; length?: number } | { suffix: number };
export interface R2Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: Date | string | number;
  ifUnmodifiedSince?: Date | string | number;
}
export interface R2GetOptions extends R2Conditions {
  range?: R2Range;
}
export interface R2PutOptions extends R2Conditions {
  contentType?: string;
  metadata?: Record<string, string>;
  httpMetadata?: R2HttpMetadata;
  /** Content-Length for a stream body whose size you know. */
  contentLength?: number;
  retry?: boolean;
}
export type R2Body =
  | string
  | Buffer
  | Uint8Array
  | ArrayBuffer
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | { path: string };
export interface SignUrlOptions {
  /** 'GET' (HEAD too) or 'PUT'; case-insensitive. */
  method?: 'GET' | 'PUT' | string;
  /** Seconds of the emulator's virtual clock, 1..604800; default 3600. */
  expiresIn?: number;
  oneTime?: boolean;
  contentType?: string;
  maxBytes?: number;
}
export interface SignedUrl {
  url: string;
  /** ISO-8601 with milliseconds; the URL works while the emulator's clock is before it. */
  expires_at: string;
  expires_ms: number;
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  one_time: boolean;
  max_bytes?: number;
  content_type?: string;
  /** Headers the upload must send (Content-Type when signed with contentType). */
  headers?: Record<string, string>;
}

export class R2 {
  constructor(client: Client);
  put(
    namespace: string,
    key: string,
    content: string | Buffer | Uint8Array,
    metadata?: Record<string, string> | null,
    options?: { contentType?: string; httpMetadata?: R2HttpMetadata; retry?: boolean },
  ): Promise<boolean>;
  /** Legacy: an empty object is returned as null (see getObject). */
  get(namespace: string, key: string): Promise<Buffer | null>;
  delete(namespace: string, key: string, options?: { retry?: boolean }): Promise<boolean>;
  list(namespace: string, prefix?: string, limit?: number, options?: { cursor?: string; delimiter?: string }): Promise<R2ListedObject[]>;
  listPage(namespace: string, prefix?: string, limit?: number, cursor?: string, delimiter?: string): Promise<R2ListPage>;
  listAll(namespace: string, prefix?: string, options?: PageOptions): AsyncGenerator<R2ListedObject, void, undefined>;
  head(namespace: string, key: string): Promise<R2Object | null>;
  getStream(namespace: string, key: string, options?: R2GetOptions): Promise<R2ObjectStream | null>;
  getObject(namespace: string, key: string, options?: R2GetOptions): Promise<R2ObjectBody | null>;
  getFile(namespace: string, key: string, filePath: string, options?: R2GetOptions): Promise<R2Object | null>;
  putObject(namespace: string, key: string, data: R2Body, options?: R2PutOptions): Promise<R2Object>;
  putFile(namespace: string, key: string, filePath: string, options?: R2PutOptions): Promise<R2Object>;
  signUrl(bucket: string, key: string, options?: SignUrlOptions): Promise<SignedUrl>;
}

export interface Resource {
  type: 'kv' | 'd1' | 'r2' | 'do';
  namespace: string;
  key: string;
  created_at: string;
  updated_at: string;
  size?: number;
  metadata?: Json;
}
export interface ResourceFilters {
  type?: string;
  namespace?: string;
  key_prefix?: string;
  keyPrefix?: string;
  limit?: number;
  offset?: number;
}
export interface ResourceList {
  resources: Resource[];
  total: number;
  offset: number;
  limit: number;
  has_more: boolean;
}
export interface ResourceStats {
  total: number;
  by_type: Record<string, number>;
  by_namespace: Record<string, number>;
  total_size: number;
}
export class Resources {
  constructor(client: Client);
  list(filters?: ResourceFilters): Promise<ResourceList>;
  listAll(filters?: ResourceFilters, options?: PageOptions): AsyncGenerator<Resource, void, undefined>;
  stats(): Promise<ResourceStats>;
}

export class Client {
  constructor(options?: ClientOptions);
  baseUrl?: string;
  token?: string;
  location?: string;
  timeout?: number;
  retries: number;
  retryWrites: boolean;
  backoff: number;
  headers: Record<string, string>;
  readonly kv: KV;
  readonly d1: D1;
  readonly r2: R2;
  readonly resources: Resources;
  jsonCall(method: string, path: string, options: { svc: string; op: string; json?: unknown; noneOn404?: boolean; retry?: boolean }): Promise<any>;
}

type Statics<T> = { [K in keyof T]: T[K] };
/** Original SDK surface: static async methods on the default client. */
export const KVStorage: Statics<KV>;
export const D1Storage: Statics<D1>;
export const R2Storage: Statics<R2>;
export const ResourceRegistry: Statics<Resources>;
export type KVStorage = KV;
export type D1Storage = D1;
export type R2Storage = R2;

export const defaultClient: Client;
export function configure(settings: ClientOptions): Client;
export function encodeKey(key: string): string;
export function signUrl(bucket: string, key: string, options?: SignUrlOptions): Promise<SignedUrl>;
export const VERSION: string;

declare const sdk: {
  KVStorage: typeof KVStorage;
  D1Storage: typeof D1Storage;
  R2Storage: typeof R2Storage;
  ResourceRegistry: typeof ResourceRegistry;
  Client: typeof Client;
  StorageError: typeof StorageError;
  NotFoundError: typeof NotFoundError;
  PreconditionFailedError: typeof PreconditionFailedError;
  RateLimitedError: typeof RateLimitedError;
  RangeNotSatisfiableError: typeof RangeNotSatisfiableError;
  StorageConnectionError: typeof StorageConnectionError;
  configure: typeof configure;
  defaultClient: Client;
  encodeKey: typeof encodeKey;
  signUrl: typeof signUrl;
  VERSION: string;
};
export default sdk;
