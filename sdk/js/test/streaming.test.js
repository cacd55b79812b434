// Streaming a 200 MiB object through putFile / getFile keeps memory flat. The transfer runs
// in a fresh child process so its peak RSS is not hidden by earlier allocations; the child
// reports its peak (process.resourceUsage().maxRSS) before and after.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { useEmulator, uniqueNs } = require('../testing/emulator.js');

const SIZE = 200 * 1024 * 1024;
// Measured: peak RSS grows by a constant ~45-55 MiB (allocator arenas and stream buffers of
// the HTTP machinery), the same for a 50 MiB and a 200 MiB file; buffering the file would add
// 200 MiB or more (fetch's own stream upload did: +220 MiB). The bound is half the file.
const MAX_GROWTH = 100 * 1024 * 1024;

const CHILD = `
const crypto = require('node:crypto');
const fs = require('node:fs');
const { R2Storage } = require(${JSON.stringify(path.resolve(__dirname, '..', 'era_storage.js'))});
const [ns, src, dst] = process.argv.slice(1);
const peak = () => process.resourceUsage().maxRSS * 1024;
(async () => {
  // Warm up both paths so one-off start-up allocations are not counted as growth.
  fs.writeFileSync(dst + '.warm', Buffer.alloc(1 << 20, 7));
  await R2Storage.putFile(ns, 'warm-up', dst + '.warm');
  await R2Storage.getFile(ns, 'warm-up', dst + '.warm');
  const base = peak();
  const put = await R2Storage.putFile(ns, 'big/file.bin', src);
  const afterPut = peak();
  const got = await R2Storage.getFile(ns, 'big/file.bin', dst);
  const afterGet = peak();
  const h = crypto.createHash('sha256');
  for await (const c of fs.createReadStream(dst)) h.update(c);
  console.log(JSON.stringify({ base, afterPut, afterGet, putSize: put.size, getSize: got.size, sha256: h.digest('hex') }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

let emu;
test.before(async () => {
  emu = await useEmulator();
});
test.after(async () => {
  if (emu) await emu.stop();
});

test('streams a 200 MiB file with flat memory', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'era-sdk-js-big-'));
  try {
    const src = path.join(dir, 'big.bin');
    const dst = path.join(dir, 'copy.bin');
    const expected = crypto.createHash('sha256');
    const block = crypto.randomBytes(1 << 20);
    const fd = fs.openSync(src, 'w');
    for (let i = 0; i < SIZE >> 20; i++) {
      block[0] = i & 0xff;
      expected.update(block);
      fs.writeSync(fd, block);
    }
    fs.closeSync(fd);
    const out = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', CHILD, uniqueNs(), src, dst], { env: { ...process.env, ERA_STORAGE_URL: emu.url }, timeout: 280_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const report = JSON.parse(out);
    assert.equal(report.putSize, SIZE);
    assert.equal(report.getSize, SIZE);
    assert.equal(report.sha256, expected.digest('hex'));
    const growth = report.afterGet - report.base;
    assert.ok(growth < MAX_GROWTH, `peak RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB for a 200 MiB transfer`);
    console.log(`# peak RSS growth: ${(growth / 2 ** 20).toFixed(1)} MiB (baseline ${(report.base / 2 ** 20).toFixed(1)} MiB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
