// Types of era-storage/layeron: a Layeron-shaped storage API over era-emu (docs/layeron.md).
// Alias `@layeron/modules` and `@layeron/core` to this module (tsconfig "paths", jest
// moduleNameMapper, vitest resolve.alias).
import type { Client } from './era_storage';

export interface SecretRef {
  kind: 'secret_ref';
  name: string;
}

export interface StorageEncryptionOptions {
  mode?: 'managed';
  algorithm?: 'aes-gcm-256';
  secret?: SecretRef;
}

export interface StorageLifecycleOptions {
  deleteAfterDays?: number;
}

export type StorageAccessMode = 'private' | 'public';

export interface StorageCommonOptions {
  name: string;
  namespace?: string;
  binding?: string;
  shared?: Record<string, unknown>;
  access?: StorageAccessMode;
  metadata?: Record<string, unknown>;
  encryption?: StorageEncryptionOptions;
  observability?: Record<string, unknown>;
  placement?: Record<string, unknown>;
}

export interface StorageBucketOptions extends StorageCommonOptions {
  lifecycle?: StorageLifecycleOptions;
}

export interface StorageKvOptions extends StorageCommonOptions {
  /** Default expiration of entries written without their own ttlSeconds (>= 60). */
  ttlSeconds?: number;
}

/** Where a module's store lives: default $ERA_STORAGE_URL / $ERA_EMU_TOKEN. */
export interface ConnectionOptions {
  client?: Client;
  url?: string;
  token?: string;
}

export class StorageError extends Error {
  /** Lower snake case, e.g. "storage_key_already_exists". */
  readonly code: string;
  /** HTTP status, e.g. 409. */
  readonly status: number;
}

export interface StorageObject {
  key: string;
  size: number;
  etag: string;
  httpEtag: string;
  contentType?: string;
  storedAt: Date;
  metadata: Record<string, string>;
  /** true on buckets declared with encryption. */
  encrypted?: true;
}

export interface StorageKvEntry {
  key: string;
  contentType?: string;
  metadata: Record<string, unknown>;
  expiresAt?: Date;
}

/** What get() returns; the body can be read once. */
export class StorageReadHandle {
  readonly key: string;
  readonly size: number;
  readonly contentType?: string;
  readonly metadata: Record<string, unknown>;
  readonly etag?: string;
  readonly storedAt?: Date;
  readonly encrypted?: true;
  readonly body: ReadableStream<Uint8Array>;
  readonly bodyUsed: boolean;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  blob(): Promise<Blob>;
}

export type StorageBody = string | ArrayBuffer | ArrayBufferView | Blob | ReadableStream;

export interface StoragePutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Atomic create: an existing key throws StorageError storage_key_already_exists (409). */
  ifNotExists?: boolean;
  /** Kept as metadata.checksum, as given (not verified). */
  checksum?: string;
}

export interface StorageListOptions {
  prefix?: string;
  /** 1..1000, default 1000. */
  limit?: number;
  cursor?: string;
}

export interface StorageListResult<T> {
  items: T[];
  /** undefined on the last page. */
  cursor?: string;
}

declare class StorageModuleBase<O extends StorageCommonOptions> {
  readonly kind: 'bucket' | 'kv';
  readonly options: Readonly<O>;
  readonly name: string;
  readonly namespace: string;
  /** "namespace/name" */
  readonly id: string;
  declare(): Promise<void>;
  /** The emulator's store name ("namespace__name" when namespaced). */
  storeName(): Promise<string>;
}

export class StorageBucketModule extends StorageModuleBase<StorageBucketOptions> {
  put(key: string, value: StorageBody, options?: StoragePutOptions): Promise<StorageObject>;
  get(key: string): Promise<StorageReadHandle | null>;
  head(key: string): Promise<StorageObject | null>;
  delete(key: string): Promise<void>;
  list(options?: StorageListOptions): Promise<StorageListResult<StorageObject>>;
}

export interface StorageKvPutOptions {
  contentType?: string;
  /** Per-key TTL (>= 60 s); overrides the store's ttlSeconds. */
  ttlSeconds?: number;
  metadata?: Record<string, unknown>;
  /** Checks the value visible here first (not atomic) → 409 storage_key_already_exists. */
  ifNotExists?: boolean;
}

export class StorageKvModule extends StorageModuleBase<StorageKvOptions> {
  put(key: string, value: string | ArrayBuffer | ArrayBufferView | ReadableStream | object, options?: StorageKvPutOptions): Promise<{ key: string }>;
  get(key: string): Promise<StorageReadHandle | null>;
  head(key: string): Promise<(StorageKvEntry & { size: number }) | null>;
  delete(key: string): Promise<void>;
  list(options?: StorageListOptions): Promise<StorageListResult<StorageKvEntry>>;
}

export const storage: {
  bucket(options: StorageBucketOptions, connection?: ConnectionOptions): StorageBucketModule;
  kv(options: StorageKvOptions, connection?: ConnectionOptions): StorageKvModule;
};

export interface StorageSignedUrlOptions {
  action?: 'read' | 'write';
  /** 1..604800, default 3600 (virtual clock). */
  expiresInSeconds?: number;
  contentType?: string;
  maxSizeBytes?: number;
  oneTime?: boolean;
}

export function storageSignedUrl(module: StorageBucketModule, key: string, options?: StorageSignedUrlOptions): Promise<string>;

export interface SecretOptions {
  name: string;
  namespace?: string;
  /** 16..1024, default 32 (random / generated). */
  bytes?: number;
  [option: string]: unknown;
}

export class SecretModule {
  readonly kind: 'secret';
  readonly name: string;
  readonly options: Readonly<SecretOptions & { generate: boolean }>;
  ref(): SecretRef;
}

export const secret: {
  random(options: SecretOptions): SecretModule;
  generated(options: SecretOptions): SecretModule;
  static(options: SecretOptions): SecretModule;
};

export interface RouteContext {
  params: Record<string, string>;
  url: URL;
  env: unknown;
  executionCtx: unknown;
  app: App;
}

export type RouteRequest = Request & { params: Record<string, string> };
export type RouteResult = Response | object | string | null | undefined | void;
export type RouteHandler = (request: RouteRequest, ctx: RouteContext) => RouteResult | Promise<RouteResult>;

export interface App {
  readonly options: Record<string, unknown>;
  readonly modules: unknown[];
  use(module: unknown): App;
  get(path: string, handler: RouteHandler): App;
  post(path: string, handler: RouteHandler): App;
  put(path: string, handler: RouteHandler): App;
  patch(path: string, handler: RouteHandler): App;
  delete(path: string, handler: RouteHandler): App;
  all(path: string, handler: RouteHandler): App;
  fetch(request: Request, env?: unknown, executionCtx?: unknown): Promise<Response>;
}

export function backend(options?: Record<string, unknown>): App;
