/**
 * Ed25519 signing of session digests. The private key lives in its own file outside the
 * database (`[syschangemon] signing_key`, written by `syschangemon keygen`, mode 0600); the
 * public key (PEM, SPKI) is what `verify --public-key` checks against, on this host or another.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysError, messageOf } from '../errors.js';

/** Read a file that must be a regular file reached without a symlink in its last component. */
function readNoFollow(file: string, what: string): { text: string; st: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new SysError('E_RUNTIME', `${what} ${file} is a symlink; name the key file itself`);
    throw new SysError('E_RUNTIME', `cannot read ${what} ${file}: ${messageOf(err)}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new SysError('E_RUNTIME', `${what} ${file} is not a regular file`);
    if (st.size > 64 * 1024) throw new SysError('E_RUNTIME', `${what} ${file} is too large to be a key`);
    return { text: fs.readFileSync(fd, 'utf8'), st };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Load the private signing key. It must be an Ed25519 private key, owned by the user running
 * syschangemon and readable by nobody else: a key others can read signs nothing worth trusting.
 */
export function loadSigningKey(file: string): crypto.KeyObject {
  const { text, st } = readNoFollow(file, 'signing_key');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new SysError('E_RUNTIME', `signing_key ${file} is owned by uid ${st.uid}, not by the user running syschangemon (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) throw new SysError('E_RUNTIME', `signing_key ${file} is readable by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${file}`);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(text);
  } catch (err) {
    throw new SysError('E_RUNTIME', `signing_key ${file} is not a PEM private key: ${messageOf(err)}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SysError('E_RUNTIME', `signing_key ${file} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/** Load a public key (PEM; a private key file also works, its public half is used). */
export function loadPublicKey(file: string): crypto.KeyObject {
  const { text } = readNoFollow(file, 'public key');
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(text);
  } catch (err) {
    throw new SysError('E_USAGE', `${file} is not a PEM public key: ${messageOf(err)}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SysError('E_USAGE', `${file} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export function signText(key: crypto.KeyObject, text: string): string {
  return crypto.sign(null, Buffer.from(text, 'utf8'), key).toString('base64');
}

export function verifyText(key: crypto.KeyObject, text: string, signature: string): boolean {
  try {
    return crypto.verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The public key of a key pair as PEM text. */
export function publicPem(key: crypto.KeyObject): string {
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Write a new Ed25519 key pair: the private key to `file` (0600, created exclusively unless
 * `force`, then replaced atomically) and the public key to `file.pub` (0644). Returns the
 * public key's PEM text.
 */
export function generateKeyFile(file: string, force: boolean): string {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const target = force ? path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`) : file;
  let fd: number;
  try {
    fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SysError('E_RUNTIME', `${file} exists; keygen never overwrites a key (--force replaces it; sessions signed with the old key then verify only with the old public key)`);
    }
    throw new SysError('E_RUNTIME', `cannot write ${file}: ${messageOf(err)}`);
  }
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, priv);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (force) fs.renameSync(target, file);
  const pubFile = `${file}.pub`;
  const tmp = path.join(dir, `.${path.basename(pubFile)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, pub, { mode: 0o644, flag: 'wx' });
  fs.chmodSync(tmp, 0o644);
  fs.renameSync(tmp, pubFile);
  return pub;
}
