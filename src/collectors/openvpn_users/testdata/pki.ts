/**
 * An easy-rsa-shaped PKI made with openssl for tests: `openssl ca` keeps the same index.txt
 * easy-rsa keeps (easy-rsa drives `openssl ca`), certificates in certs_by_serial/<serial>.pem
 * and copies in issued/<CN>.crt, private keys in private/, and crl.pem from `openssl ca -gencrl`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class TestPki {
  readonly conf: string;
  constructor(readonly dir: string) {
    for (const d of ['issued', 'private', 'certs_by_serial', 'reqs']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    this.conf = join(dir, 'openssl-easyrsa.cnf');
    writeFileSync(this.conf, `[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/certs_by_serial
certificate = $dir/ca.crt
private_key = $dir/private/ca.key
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 825
default_crl_days = 180
policy = policy_anything
unique_subject = no
copy_extensions = none
[ policy_anything ]
commonName = supplied
[ client ]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
keyUsage = digitalSignature
[ server ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
keyUsage = digitalSignature,keyEncipherment
`);
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    this.ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'private', 'ca.key'), '-out', join(dir, 'ca.crt'), '-subj', '/CN=Test VPN CA', '-days', '3650']);
  }

  private ssl(args: string[]): string {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Issue a certificate for CN (like `easyrsa build-client-full CN nopass`); returns its serial. */
  issue(cn: string, opts: { type?: 'client' | 'server'; startdate?: string; enddate?: string; days?: number } = {}): string {
    const key = join(this.dir, 'private', `${cn}.key`);
    const req = join(this.dir, 'reqs', `${cn}.req`);
    const crt = join(this.dir, 'issued', `${cn}.crt`);
    this.ssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', req, '-subj', `/CN=${cn}`]);
    const before = new Set(readdirSync(join(this.dir, 'certs_by_serial')));
    const dates = opts.enddate ? ['-startdate', opts.startdate ?? '20200101000000Z', '-enddate', opts.enddate] : ['-days', String(opts.days ?? 825)];
    this.ssl(['ca', '-batch', '-config', this.conf, '-extensions', opts.type ?? 'client', '-notext', '-in', req, '-out', crt, ...dates]);
    const file = readdirSync(join(this.dir, 'certs_by_serial')).find((f) => !before.has(f))!;
    return file.replace(/\.pem$/, '');
  }

  /** `easyrsa revoke CN` (without gen-crl). */
  revoke(cn: string, reason = 'keyCompromise'): void {
    this.ssl(['ca', '-batch', '-config', this.conf, '-revoke', join(this.dir, 'issued', `${cn}.crt`), '-crl_reason', reason]);
    // easy-rsa moves the revoked files aside; a re-issue then writes a new issued/<CN>.crt.
    mkdirSync(join(this.dir, 'revoked', 'certs_by_serial'), { recursive: true });
    copyFileSync(join(this.dir, 'issued', `${cn}.crt`), join(this.dir, 'revoked', 'certs_by_serial', `${cn}.crt`));
  }

  /** `easyrsa gen-crl`. */
  genCrl(): void {
    this.ssl(['ca', '-batch', '-config', this.conf, '-gencrl', '-out', join(this.dir, 'crl.pem')]);
  }
}
