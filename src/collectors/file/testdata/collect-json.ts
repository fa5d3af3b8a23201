// Runs the file collector with the include patterns given as arguments and prints items and errors as JSON (used by the
// tests to collect as an unprivileged user).
import { collectFiles, fileOptions } from '../index.js';
import { TestContext } from '../../common/test-context.js';

const ctx = new TestContext('file');
await collectFiles(ctx, fileOptions({ include: process.argv.slice(2), hash_workers: 1 }));
process.stdout.write(JSON.stringify({ items: ctx.items, errors: ctx.errors }));
