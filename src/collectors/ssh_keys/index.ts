/**
 * The `ssh_keys` collector: one item per key a user's authorized_keys files let in
 * (`ssh_keys://<user>/<fingerprint>`), for every account of passwd, with the files that
 * sshd_config's AuthorizedKeysFile names. Files in users' homes are opened without following
 * symlinks anywhere below the home, and the opened descriptor is checked before it is read.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, normalize } from 'node:path';
import type { CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { encodePath, fileKey } from '../../keys.js';
import { absolutePath, optionValues, readFailure } from '../common/index.js';
import { compileGlob } from '../../core/glob.js';
import { type AuthorizedKey, authorizedKeysFiles, DEFAULT_AUTHORIZED_KEYS_FILES, expandTokens, parseAuthorizedKeys } from './parse.js';
import { SSH_KEYS_ITEMS } from './items.js';
import { sshKeysSeverity } from './severity.js';

export const SSH_KEYS_OPTIONS: OptionSchema = {
  passwd_path: { type: 'string', default: '/etc/passwd', description: 'The passwd file: whose keys, and their homes.', check: absolutePath },
  sshd_config_path: { type: 'string', default: '/etc/ssh/sshd_config', description: 'sshd_config, for AuthorizedKeysFile (and the files it Includes).', check: absolutePath },
  authorized_keys_files: {
    type: 'list', separator: 'commas', default: [],
    description: 'AuthorizedKeysFile patterns (%h, %u, %U, %%; relative to home) used instead of sshd_config\'s. Empty: sshd_config, else sshd\'s default.',
  },
  max_size: { type: 'size', default: 1024 * 1024, description: 'Larger authorized_keys files are an error and not read.' },
};

export interface SshKeysOptions {
  passwdPath: string;
  sshdConfigPath: string;
  files: string[];
  maxSize: number;
}

export function sshKeysOptions(o: Options): SshKeysOptions {
  const v = optionValues(SSH_KEYS_OPTIONS, o);
  return { passwdPath: v.string('passwd_path'), sshdConfigPath: v.string('sshd_config_path'), files: v.list('authorized_keys_files'), maxSize: v.number('max_size') };
}

/** The AuthorizedKeysFile patterns sshd uses, and notes about how they were found. */
export function configuredFiles(o: SshKeysOptions, ctx: CollectContext): string[] {
  if (o.files.length) return o.files;
  const texts: string[] = [];
  const seen = new Set<string>();
  const read = (path: string, depth: number): string[] | undefined => {
    if (seen.has(path) || depth > 8) return undefined;
    seen.add(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (depth === 0) ctx.note(`ssh_keys: ${path}: ${readFailure(err)}; sshd's default AuthorizedKeysFile used`);
      return undefined;
    }
    texts.push(text);
    const r = authorizedKeysFiles(text);
    if (r.inMatch) ctx.note(`ssh_keys: ${path}: AuthorizedKeysFile inside a Match block is not evaluated`);
    // Include lines before the directive are read first, as sshd does.
    for (const inc of r.includes) {
      const pattern = inc.startsWith('/') ? inc : `/etc/ssh/${inc}`;
      for (const p of expandInclude(pattern)) {
        const f = read(p, depth + 1);
        if (f) return f;
      }
    }
    return r.files;
  };
  const files = read(o.sshdConfigPath, 0);
  return (files ?? DEFAULT_AUTHORIZED_KEYS_FILES).filter((f) => f.toLowerCase() !== 'none');
}

/** An Include pattern with wildcards in its last component → the matching files, sorted. */
function expandInclude(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const dir = dirname(pattern);
  const glob = compileGlob(basename(pattern));
  try {
    return readdirSync(dir).filter((n) => glob.test(n)).sort().map((n) => `${dir}/${n}`);
  } catch {
    return [];
  }
}

/**
 * Read a file without following a symlink at any component below `trusted`: the last one is
 * opened with O_NOFOLLOW, and the descriptor's own path (/proc/self/fd) must be the path asked
 * for, so a symlinked directory on the way is caught too. Undefined when it does not exist.
 */
export function readNoFollow(path: string, maxSize: number): { text: string; mode: number; uid: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const real = readlinkSync(`/proc/self/fd/${fd}`);
    if (real !== path) throw new Error(`a symlink on the path leads to ${real}; not read`);
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file; not read');
    if (st.size > maxSize) throw new Error(`larger than max_size (${st.size} bytes); not read`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8'), mode: st.mode & 0o7777, uid: st.uid };
  } finally {
    closeSync(fd);
  }
}

interface Account {
  name: string;
  uid: number;
  home: string;
}

function accounts(text: string): Account[] {
  const out: Account[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length !== 7 || f[0] === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-') || !/^\d+$/.test(f[2]!)) continue;
    if (seen.has(f[0]!)) continue;
    seen.add(f[0]!);
    out.push({ name: f[0]!, uid: Number(f[2]), home: f[5]! });
  }
  return out;
}

/** The collector's `collect`. */
export function collectSshKeys(ctx: CollectContext, o: SshKeysOptions): void {
  let users: Account[];
  try {
    users = accounts(readFileSync(o.passwdPath, 'utf8'));
  } catch (err) {
    ctx.error(fileKey(o.passwdPath, 'ssh_keys'), `${o.passwdPath}: ${readFailure(err)}`);
    return;
  }
  const patterns = configuredFiles(o, ctx);
  ctx.debug(`AuthorizedKeysFile: ${patterns.join(' ')}`);
  const reported = new Set<string>();
  for (const u of users) {
    if (!u.home.startsWith('/')) continue;
    // The home directory may itself be a symlink, as passwd names it; nothing below it is followed.
    let home: string;
    try {
      home = realpathSync(u.home);
    } catch {
      continue; // no home: no keys (sshd would not find any either)
    }
    const seenKeys = new Set<string>();
    for (const pattern of patterns) {
      const path = normalize(expandTokens(pattern, { ...u, home }));
      let file: ReturnType<typeof readNoFollow>;
      try {
        file = readNoFollow(path, o.maxSize);
      } catch (err) {
        const key = fileKey(path, 'ssh_keys');
        if (!reported.has(key)) ctx.error(key, `${path}: ${readFailure(err)}`);
        reported.add(key);
        continue;
      }
      if (!file) continue;
      const { keys, problems } = parseAuthorizedKeys(file.text);
      for (const p of problems) ctx.note(`ssh_keys: ${path}:${p.line}: ${p.message}; line skipped`);
      for (const k of keys) {
        const key = `ssh_keys://${encodePath(u.name)}/${k.fingerprint}`;
        if (seenKeys.has(key)) continue;
        seenKeys.add(key);
        ctx.add({ key, attributes: attributesOf(k, path, file) });
      }
    }
  }
}

function attributesOf(k: AuthorizedKey, path: string, file: { mode: number; uid: number }) {
  return {
    type: k.type,
    bits: k.bits,
    fingerprint: k.fingerprint,
    comment: k.comment,
    options: k.options,
    file: path,
    file_mode: file.mode.toString(8).padStart(4, '0'),
    file_uid: file.uid,
  };
}

export const sshKeysCollector: Collector = {
  name: 'ssh_keys',
  description: 'Public keys in every user\'s authorized_keys (AuthorizedKeysFile of sshd_config): type, bits, SHA256 fingerprint, comment, options.',
  options: SSH_KEYS_OPTIONS,
  items: SSH_KEYS_ITEMS,
  severity: sshKeysSeverity,
  async collect(ctx, options) {
    collectSshKeys(ctx, sshKeysOptions(options));
  },
};
