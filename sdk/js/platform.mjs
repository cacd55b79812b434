// ESM entry of era-storage/platform (the implementation is CommonJS: platform.js).
import platform from './platform.js';

export const { KVNamespace } = platform;
export default platform;
