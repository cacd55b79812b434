// era-storage/platform: Workers bindings over era-emu. Shapes follow @cloudflare/workers-types.
import type { Client } from './era_storage';

export interface BindingOptions {
  /** An era_storage Client; default: one reading ERA_STORAGE_URL / ERA_EMU_TOKEN / ERA_LOCATION. */
  client?: Client;
  url?: string;
  token?: string;
  location?: string;
}

export type KVNamespaceGetType = 'text' | 'json' | 'arrayBuffer' | 'stream';
export interface KVNamespaceGetOptions<T extends KVNamespaceGetType = KVNamespaceGetType> {
  type?: T;
  cacheTtl?: number;
}
export interface KVNamespacePutOptions {
  expiration?: number;
  expirationTtl?: number;
  metadata?: any | null;
}
export interface KVNamespaceListOptions {
  limit?: number;
  prefix?: string | null;
  cursor?: string | null;
}
export interface KVNamespaceListKey<Metadata, Key extends string = string> {
  name: Key;
  expiration?: number;
  metadata?: Metadata;
}
export type KVNamespaceListResult<Metadata, Key extends string = string> =
  | { list_complete: false; keys: KVNamespaceListKey<Metadata, Key>[]; cursor: string; cacheStatus: string | null }
  | { list_complete: true; keys: KVNamespaceListKey<Metadata, Key>[]; cacheStatus: string | null };
export interface KVNamespaceGetWithMetadataResult<Value, Metadata> {
  value: Value | null;
  metadata: Metadata | null;
  cacheStatus: string | null;
}

export declare class KVNamespace<Key extends string = string> {
  constructor(namespace: string, options?: BindingOptions);
  get(key: Key, options?: { cacheTtl?: number }): Promise<string | null>;
  get(key: Key, type: 'text'): Promise<string | null>;
  get<ExpectedValue = unknown>(key: Key, type: 'json'): Promise<ExpectedValue | null>;
  get(key: Key, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  get(key: Key, type: 'stream'): Promise<ReadableStream | null>;
  get(key: Key, options?: KVNamespaceGetOptions<'text'>): Promise<string | null>;
  get<ExpectedValue = unknown>(key: Key, options?: KVNamespaceGetOptions<'json'>): Promise<ExpectedValue | null>;
  get(key: Key, options?: KVNamespaceGetOptions<'arrayBuffer'>): Promise<ArrayBuffer | null>;
  get(key: Key, options?: KVNamespaceGetOptions<'stream'>): Promise<ReadableStream | null>;
  get(key: Array<Key>, type?: 'text' | KVNamespaceGetOptions<'text'>): Promise<Map<string, string | null>>;
  get<ExpectedValue = unknown>(key: Array<Key>, type: 'json' | KVNamespaceGetOptions<'json'>): Promise<Map<string, ExpectedValue | null>>;
  getWithMetadata<Metadata = unknown>(key: Key, options?: KVNamespaceGetType | KVNamespaceGetOptions): Promise<KVNamespaceGetWithMetadataResult<any, Metadata>>;
  getWithMetadata<Metadata = unknown>(key: Array<Key>, options?: 'text' | 'json' | KVNamespaceGetOptions<'text' | 'json'>): Promise<Map<string, { value: any; metadata: Metadata | null } | null>>;
  put(key: Key, value: string | ArrayBuffer | ArrayBufferView | ReadableStream, options?: KVNamespacePutOptions): Promise<void>;
  delete(key: Key): Promise<void>;
  list<Metadata = unknown>(options?: KVNamespaceListOptions): Promise<KVNamespaceListResult<Metadata, Key>>;
}

// ---- R2 ----
export interface R2Range { offset?: number; length?: number; suffix?: number }
export interface R2Conditional {
  etagMatches?: string;
  etagDoesNotMatch?: string;
  uploadedBefore?: Date;
  uploadedAfter?: Date;
  secondsGranularity?: boolean;
}
export interface R2HTTPMetadata {
  contentType?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  cacheControl?: string;
  cacheExpiry?: Date;
}
export interface R2GetOptions { onlyIf?: R2Conditional | Headers; range?: R2Range | Headers }
export interface R2PutOptions {
  onlyIf?: R2Conditional | Headers;
  httpMetadata?: R2HTTPMetadata | Headers;
  customMetadata?: Record<string, string>;
  md5?: ArrayBuffer | string;
  sha1?: ArrayBuffer | string;
  sha256?: ArrayBuffer | string;
  sha384?: ArrayBuffer | string;
  sha512?: ArrayBuffer | string;
}
export interface R2MultipartOptions { httpMetadata?: R2HTTPMetadata | Headers; customMetadata?: Record<string, string> }
export interface R2ListOptions {
  limit?: number;
  prefix?: string;
  cursor?: string;
  delimiter?: string;
  startAfter?: string;
  include?: ('httpMetadata' | 'customMetadata')[];
}
export declare class R2Checksums {
  readonly md5?: ArrayBuffer;
  readonly sha1?: ArrayBuffer;
  readonly sha256?: ArrayBuffer;
  readonly sha384?: ArrayBuffer;
  readonly sha512?: ArrayBuffer;
  toJSON(): { md5?: string; sha1?: string; sha256?: string; sha384?: string; sha512?: string };
}
export declare class R2Object {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly etag: string;
  readonly httpEtag: string;
  readonly checksums: R2Checksums;
  readonly uploaded: Date;
  readonly httpMetadata?: R2HTTPMetadata;
  readonly customMetadata?: Record<string, string>;
  readonly range?: R2Range;
  readonly storageClass: string;
  writeHttpMetadata(headers: Headers): void;
}
export declare class R2ObjectBody extends R2Object {
  get body(): ReadableStream;
  get bodyUsed(): boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  json<T>(): Promise<T>;
  blob(): Promise<Blob>;
}
export interface R2UploadedPart { partNumber: number; etag: string }
export declare class R2MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  uploadPart(partNumber: number, value: ReadableStream | ArrayBuffer | ArrayBufferView | string | Blob): Promise<R2UploadedPart>;
  abort(): Promise<void>;
  complete(uploadedParts: R2UploadedPart[]): Promise<R2Object>;
}
export type R2Objects = {
  objects: R2Object[];
  delimitedPrefixes: string[];
} & ({ truncated: true; cursor: string } | { truncated: false });
export declare class R2Bucket {
  constructor(bucket: string, options?: BindingOptions);
  head(key: string): Promise<R2Object | null>;
  get(key: string, options: R2GetOptions & { onlyIf: R2Conditional | Headers }): Promise<R2ObjectBody | R2Object | null>;
  get(key: string, options?: R2GetOptions): Promise<R2ObjectBody | null>;
  put(key: string, value: ReadableStream | ArrayBuffer | ArrayBufferView | string | null | Blob, options?: R2PutOptions & { onlyIf: R2Conditional | Headers }): Promise<R2Object | null>;
  put(key: string, value: ReadableStream | ArrayBuffer | ArrayBufferView | string | null | Blob, options?: R2PutOptions): Promise<R2Object>;
  delete(keys: string | string[]): Promise<void>;
  list(options?: R2ListOptions): Promise<R2Objects>;
  createMultipartUpload(key: string, options?: R2MultipartOptions): Promise<R2MultipartUpload>;
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUpload;
}

// ---- D1 ----
export interface D1Meta {
  duration: number;
  size_after: number;
  rows_read: number;
  rows_written: number;
  last_row_id: number;
  changed_db: boolean;
  changes: number;
  served_by?: string;
  [key: string]: unknown;
}
export interface D1Result<T = Record<string, unknown>> {
  results: T[];
  success: true;
  meta: D1Meta & Record<string, unknown>;
}
export interface D1ExecResult { count: number; duration: number }
export declare class D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  first<T = unknown>(colName: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
}
export declare class D1Database {
  constructor(database: string, options?: BindingOptions);
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
  exec(query: string): Promise<D1ExecResult>;
  withSession(constraintOrBookmark?: D1SessionBookmarkOrConstraint): D1DatabaseSession;
  /** @deprecated refused by D1: throws D1_DUMP_ERROR */
  dump(): Promise<ArrayBuffer>;
}

export type D1SessionConstraint = 'first-primary' | 'first-unconstrained';
export type D1SessionBookmark = string;
export type D1SessionBookmarkOrConstraint = D1SessionBookmark | D1SessionConstraint;

export declare class D1DatabaseSession {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
  getBookmark(): D1SessionBookmark | null;
}

// ---- getPlatformProxy ----
export interface GetPlatformProxyOptions extends BindingOptions {
  /** wrangler.jsonc / wrangler.json / wrangler.toml; default: the first of those in the working directory. */
  configPath?: string;
  /** Use env.<name>'s bindings and vars (not inherited from the top level, as wrangler does). */
  environment?: string;
  /** Apply each D1 binding's migrations_dir (default true). */
  applyMigrations?: boolean;
}
export interface PlatformProxy<Env = Record<string, unknown>> {
  env: Env;
  cf: Record<string, unknown>;
  ctx: { waitUntil(promise: Promise<unknown>): void; passThroughOnException(): void };
  caches: undefined;
  dispose(): Promise<void>;
}
export declare function getPlatformProxy<Env = Record<string, unknown>>(options?: GetPlatformProxyOptions): Promise<PlatformProxy<Env>>;
/** Applies dir/*.sql in name order, each once, recorded in `table` (wrangler's local apply). Returns the names applied. */
export declare function applyMigrations(db: D1Database, dir: string, table: string): Promise<string[]>;
