// ES module entry for the ERA storage SDK; the implementation lives in era_storage.js.
import sdk from './era_storage.js';

export const {
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
  EraStorageError,
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
} = sdk;

export default sdk;
