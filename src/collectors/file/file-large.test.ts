import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectFiles, fileOptions } from './index.js';
import { TestContext } from '../common/test-context.js';
import { fileKey } from '../../keys.js';

// sha256 of 4 GiB of zero bytes, computed with coreutils:
//   head -c 4294967296 /dev/zero | sha256sum
const ZEROS_4G = '8479e43911dc45e89f934fe48d01297e16f51d17aa561d4d1c216b1ae0fcddca';

test('a 4 GiB sparse file is hashed with bounded memory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-large-'));
  try {
    const file = path.join(dir, 'sparse');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 4 * 1024 ** 3);
    const ctx = new TestContext('file');
    let peak = 0;
    const before = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      await collectFiles(ctx, fileOptions({ include: [file], hash_workers: 1 }));
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const item = ctx.item(fileKey(file))!;
    assert.equal(item.attributes.size, 4 * 1024 ** 3);
    assert.equal(item.attributes.sha256, ZEROS_4G);
    assert.ok(peak - before < 100 * 1024 * 1024, `rss grew by ${Math.round((peak - before) / 1048576)} MiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
