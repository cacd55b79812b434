// ESM entry of era-storage/layeron (the implementation is CommonJS: layeron.js).
import layeron from './layeron.js';

export const { storage, storageSignedUrl, secret, backend, StorageError, StorageReadHandle, StorageBucketModule, StorageKvModule, SecretModule } = layeron;
export default layeron;
