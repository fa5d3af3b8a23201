import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectFiles, fileOptions } from './index.js';
import { TestContext } from './test-context.js';
import { fileKey } from '../../keys.js';

// sha256 of 2 GiB of zero bytes (checked with coreutils sha256sum).
const ZEROS_2G = 'a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51';

test('a 2 GiB sparse file is hashed with bounded memory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-large-'));
  try {
    const file = path.join(dir, 'sparse');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 2 * 1024 ** 3);
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
    assert.equal(item.attributes.size, 2 * 1024 ** 3);
    assert.equal(item.attributes.sha256, ZEROS_2G);
    assert.ok(peak - before < 100 * 1024 * 1024, `rss grew by ${Math.round((peak - before) / 1048576)} MiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
