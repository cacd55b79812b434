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
  get(key: Key, options?: Partial<KVNamespaceGetOptions<undefined>>): Promise<string | null>;
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
