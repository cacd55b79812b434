// ESM entry of era-storage/platform (the implementation is CommonJS: platform.js).
import platform from './platform.js';

export const { getPlatformProxy, applyMigrations, KVNamespace, D1Database, D1DatabaseSession, D1PreparedStatement, R2Bucket, R2Object, R2ObjectBody, R2MultipartUpload, R2Checksums } = platform;
export default platform;
