import * as path from 'node:path';
import { loadPublicKey } from '../core/signing.js';
import { verifyChain } from '../core/verify.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const verifyCommand: CommandSpec = {
  name: 'verify',
  uses: [],
  describe: 'recompute the digest chain of the stored history; exit 1 naming the first session that does not match',
  formats: ['text', 'json'],
  options: {
    'public-key': { type: 'string', describe: 'also check every session digest is signed by this Ed25519 public key (PEM, from keygen)' },
  },
  run(app, args) {
    const keyFile = typeof args.publicKey === 'string' && args.publicKey ? path.resolve(args.publicKey) : undefined;
    const key = keyFile ? loadPublicKey(keyFile) : undefined;
    const r = verifyChain(app.db(true), key);
    if (args.format === 'json') {
      out(`${JSON.stringify({
        ok: r.ok,
        problems: r.problems,
        records: r.records,
        recomputed: r.recomputed,
        dropped: r.dropped,
        start: r.start,
        first: r.first ? { uuid: r.first.uuid, started_at: r.first.started_at, digest: r.first.digest } : null,
        newest: r.newest ? { uuid: r.newest.uuid, started_at: r.newest.started_at, digest: r.newest.digest } : null,
        ...(r.signatures ? { signatures: r.signatures } : {}),
      }, null, 2)}\n`);
      return r.ok ? 0 : 1;
    }
    if (!r.ok) {
      for (const p of r.problems) {
        out(`verify: FAILED: ${p.session ? `session ${p.session.uuid} (started ${p.session.started_at}) ` : ''}${p.message}\n`);
      }
      return 1;
    }
    if (!r.newest) {
      out('no sessions yet: nothing to verify\n');
      return 0;
    }
    out(`chain intact: ${r.records} session${r.records === 1 ? '' : 's'} since ${r.first!.started_at} (chain started by ${r.start}); ${r.recomputed} stored and recomputed from their items, ${r.dropped} dropped by cleanup (links checked)\n`);
    out(`newest: session ${r.newest.uuid} started ${r.newest.started_at} digest ${r.newest.digest}\n`);
    if (r.signatures) {
      out(`signatures: ${r.signatures.valid} valid with ${keyFile}${r.signatures.unsignedBefore ? `; the ${r.signatures.unsignedBefore} sessions before the first signed one are covered by its signature through the links` : ''}\n`);
    }
    return 0;
  },
};
