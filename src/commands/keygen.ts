import * as path from 'node:path';
import { usageError } from '../errors.js';
import { generateKeyFile } from '../core/signing.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const keygenCommand: CommandSpec = {
  name: 'keygen',
  uses: [],
  describe: 'write an Ed25519 signing key (default: signing_key, else signing.key beside the config) and print its public key',
  options: {
    out: { type: 'string', describe: 'the private key file to write (its public key goes to FILE.pub)' },
    force: { type: 'boolean', describe: 'replace an existing key' },
  },
  run(app, args) {
    const file = typeof args.out === 'string' && args.out ? path.resolve(args.out) : app.signingKeyFile ?? path.join(app.cfg.dir, 'signing.key');
    const storage = path.resolve(app.cfg.storageDir);
    if (file === storage || file.startsWith(`${storage}${path.sep}`)) {
      throw usageError(`${file} is inside the storage directory ${storage}: keep the signing key outside the database's directory`);
    }
    const pub = generateKeyFile(file, args.force === true);
    process.stderr.write(`syschangemon: wrote the private key ${file} (mode 0600) and the public key ${file}.pub\n`);
    if (app.signingKeyFile !== file) process.stderr.write(`syschangemon: set 'signing_key = ${file}' in [syschangemon] of ${app.cfg.file} to sign each session\n`);
    out(pub);
  },
};
