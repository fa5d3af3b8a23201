/**
 * One sample of every secret format syschangemon must never keep, as the programs that use
 * them write them, with the secret values made of markers (plain letters and digits, so no
 * encoding can hide them from a search), and plain files that must be kept as they are.
 * Shared by src/core/secrets.test.ts and test/robustness/secrets.test.ts (kept out of the build).
 */

/** How a sample must be kept. */
export type Expect = 'secret' | 'redacted' | 'text';

export interface Sample {
  /** Path below the watched tree. */
  path: string;
  expect: Expect;
  /** The file's text. */
  text: string;
  /** Secret values in the text: never in anything syschangemon keeps or prints. */
  secrets: string[];
  /** Lines that must be kept (redacted and plain samples). */
  kept: string[];
}

/** A fresh marker: `SECRETMARK` and 24 hex digits, upper case. */
export type Marker = () => string;

/** Every sample, with fresh markers. */
export function samples(m: Marker): Sample[] {
  const s = (path: string, expect: Expect, build: (v: string[]) => string, n: number, kept: string[] = []): Sample => {
    const secrets = Array.from({ length: n }, m);
    return { path, expect, text: build(secrets), secrets, kept };
  };
  const b64 = (v: string) => `${v}AbCdEfGhIjKlMnOpQrStU=`;
  return [
    // WireGuard: the interface config and a key written by `wg genkey > private.key`.
    s('etc/wireguard/wg0.conf', 'redacted', ([a, b]) => `[Interface]\nPrivateKey = ${b64(a!)}\nAddress = 10.8.0.1/24\nListenPort = 51820\n\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nPresharedKey = ${b64(b!)}\nAllowedIPs = 10.8.0.2/32\n`, 2, ['ListenPort = 51820', 'PrivateKey = «redacted»', 'PresharedKey = «redacted»']),
    s('etc/wireguard/private.key', 'secret', ([a]) => `${b64(a!)}\n`, 1),
    s('etc/wireguard/privatekey', 'secret', ([a]) => `${b64(a!)}\n`, 1),
    // PuTTY, by name and by content.
    s('home/alice/.putty/server.ppk', 'secret', ([a]) => puttyKey(a!), 1),
    s('home/alice/putty-key.txt', 'secret', ([a]) => puttyKey(a!), 1),
    // OpenVPN: a static key file (by name and by content) and inline keys in a client config.
    s('etc/openvpn/ta.key', 'secret', ([a]) => openvpnStatic(a!), 1),
    s('etc/openvpn/static-copy.txt', 'secret', ([a]) => openvpnStatic(a!), 1),
    s('etc/openvpn/client.conf', 'redacted', ([a, b, c, d]) =>
      `client\ndev tun\nremote vpn.example.com 1194\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIBpublicCA\n-----END CERTIFICATE-----\n</ca>\n<tls-auth>\n${openvpnStatic(a!)}</tls-auth>\n<tls-crypt>\n${openvpnStatic(b!)}</tls-crypt>\n<key>\n-----BEGIN PRIVATE KEY-----\n${c}\n-----END PRIVATE KEY-----\n</key>\n<secret>\n${openvpnStatic(d!)}</secret>\nverb 3\n`, 4, ['remote vpn.example.com 1194', 'MIIBpublicCA', 'verb 3']),
    // GnuPG private-keys-v1.d, by name and (extended and S-expression formats) by content.
    s('root/.gnupg/private-keys-v1.d/0123456789ABCDEF0123456789ABCDEF01234567.key', 'secret', ([a]) => `Created: 20240101T000000\nKey: (private-key (ecc (curve Ed25519)(flags eddsa)(q #40AB#)(d #${a}#)))\n`, 1),
    s('root/gpg-extended.txt', 'secret', ([a]) => `Created: 20240101T000000\nKey: (protected-private-key (rsa (n #00AB#)(e #010001#)(protected openpgp-s2k3-ocb-aes ((sha1 #${a}# "43860992")))))\n`, 1),
    s('root/gpg-sexp.txt', 'secret', ([a]) => `(private-key (rsa (n #00C1#)(e #010001#)(d #${a}#)))\n`, 1),
    // ssh.com (Tectia) SSH2 keys.
    s('home/alice/.ssh2/id_rsa_2048_a', 'secret', ([a]) => `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nSubject: alice\nComment: "2048-bit rsa, alice@host"\n${a}P2/56wAAA+8AAAA3aWYtbW9kbntzaWdue3JzYS1wa2NzMS1zaGExfSxlbmNyeXB0e3JzYS1wa2NzMXYyLW9hZXB9fQ==\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n`, 1),
    s('home/alice/ssh2-plain.txt', 'secret', ([a]) => `---- BEGIN SSH2 PRIVATE KEY ----\n${a}AAAA\n---- END SSH2 PRIVATE KEY ----\n`, 1),
    // PEM and OpenSSH keys.
    s('home/alice/.ssh/id_ed25519', 'secret', ([a]) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${a}\n-----END OPENSSH PRIVATE KEY-----\n`, 1),
    s('srv/app/tls.pem', 'secret', ([a]) => `-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\n${a}\n-----END EC PRIVATE KEY-----\n`, 1),
    s('etc/ssl/private/site.pem', 'secret', ([a]) => `${a}\n`, 1),
    // kubeconfig.
    s('root/.kube/config', 'redacted', ([a, b]) =>
      `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n    server: https://10.0.0.1:6443\n  name: prod\nusers:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURQ==\n    client-key-data: ${a}LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n- name: robot\n  user:\n    token: ${b}.eyJhbGciOiJSUzI1NiJ9\n`, 2, ['    server: https://10.0.0.1:6443', '    client-key-data: «redacted»']),
    // JSON Web Keys: a private RSA key and a symmetric key in a key set; a public one is kept.
    s('etc/app/jwk.json', 'secret', ([a]) => `{"kty":"RSA","kid":"k1","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","d":"${a}X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9M7dx5oo7GURknchnrRweUkC7hT5fJLM0WbFAKNLWY2vv7B6NqXSzUvxT0_YSfqijwp3RTzlBaCxWp4doFk5N2o8Gy_nHNKroADIkJ46pRUohsXywbReAdYaMwFs9tv8d_cPVY3i07a3t8MN6TNwm0dSawm9v47UiCl3Sk5ZiG7xojPLu4sbg1U2jx4IBTNBznbJSzFHK66jT8bgkuqsk0GjskDJk19Z4qwjwbsnn4j2WBii3RL-Us2lGVkY8fkFzme1z0HbIkfz0Y6mqnOYtqc0X4jfcKoAC8Q"}\n`, 1),
    s('etc/app/jwks.json', 'secret', ([a]) => `{"keys":[{"kty":"oct","kid":"hmac","alg":"HS256","k":"${a}AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]}\n`, 1),
    s('etc/app/jwks-public.json', 'text', () => `{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"pub"}]}\n`, 0, ['"kid":"pub"']),
    // MySQL maintenance credentials.
    s('etc/mysql/debian.cnf', 'redacted', ([a, b]) => `# Automatically generated for Debian scripts. DO NOT TOUCH!\n[client]\nhost     = localhost\nuser     = debian-sys-maint\npassword = ${a}\nsocket   = /var/run/mysqld/mysqld.sock\n[mysql_upgrade]\nhost     = localhost\nuser     = debian-sys-maint\npassword = ${b}\nsocket   = /var/run/mysqld/mysqld.sock\n`, 2, ['user     = debian-sys-maint', 'password = «redacted»']),
    // AWS credentials.
    s('root/.aws/credentials', 'redacted', ([a, b]) => `[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${a}/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n[ci]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\naws_secret_access_key=${b}\naws_session_token = ${b}TOKEN\n`, 2, ['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key = «redacted»']),
    // PPP and IPsec secrets.
    s('etc/ppp/chap-secrets', 'secret', ([a]) => `# Secrets for authentication using CHAP\n# client\tserver\tsecret\t\t\tIP addresses\nalice\t*\t"${a}"\t*\n`, 1),
    s('etc/ppp/pap-secrets', 'secret', ([a]) => `alice\t*\t${a}\t*\n`, 1),
    s('etc/ipsec.secrets', 'secret', ([a, b]) => `# /etc/ipsec.secrets\n: PSK "${a}"\n: RSA vpn.key "${b}"\n`, 2),
    // NetworkManager.
    s('etc/NetworkManager/system-connections/office.nmconnection', 'redacted', ([a, b, c]) => `[connection]\nid=office\ntype=wifi\n\n[wifi]\nssid=office\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=${a}\n\n[802-1x]\neap=peap;\nidentity=alice\npassword=${b}\nprivate-key-password=${c}\n`, 3, ['ssid=office', 'psk=«redacted»', 'identity=alice']),
    // htpasswd, by name; a copy under another name is still redacted by the hashes.
    s('var/www/.htpasswd', 'secret', ([a, b]) => `alice:$apr1$${a.slice(0, 8)}$${a}\nbob:{SHA}${b}=\n`, 2),
    s('var/www/users.txt', 'redacted', ([a, b]) => `alice:$apr1$Zz8.ab12$${a}\ncarol:$2y$05$${b}abcdefghijklmnopqrstu\n`, 2, ['alice:«redacted»']),
    // Previous passwords kept by pam_pwhistory.
    s('etc/security/opasswd', 'secret', ([a, b]) => `alice:1000:2:$6$rounds=5000$salt$${a},$y$j9T$salt$${b}\n`, 2),
    // syschangemon's own mail password.
    s('etc/syschangemon/syschangemon.conf', 'redacted', ([a]) => `[syschangemon]\nsession_keep = 24\n\n[mail.smtp]\nhost = mail.example.com\nport = 587\nauth = true\nusername = monitor\npassword = ${a}\n`, 1, ['username = monitor', 'password = «redacted»']),
    // Positive controls: plain configuration that looks a little like secrets and is kept.
    s('etc/ssh/sshd_config', 'text', () => `PasswordAuthentication no\nPermitEmptyPasswords no\nPubkeyAuthentication yes\nHostKey /etc/ssh/ssh_host_ed25519_key\n`, 0, ['PasswordAuthentication no']),
    s('etc/pam.d/common-password', 'text', () => `password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword\trequisite\t\t\tpam_deny.so\n`, 0, ['pam_unix.so obscure yescrypt']),
    s('etc/login.defs', 'text', () => `PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nENCRYPT_METHOD SHA512\n`, 0, ['PASS_MAX_DAYS\t99999']),
    s('etc/ssl/certs/site.pem', 'text', () => `-----BEGIN CERTIFICATE-----\nMIIBpubliccert\n-----END CERTIFICATE-----\n`, 0, ['MIIBpubliccert']),
    s('home/alice/.ssh/id_ed25519.pub', 'text', () => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@host\n`, 0, ['alice@host']),
  ];
}

function puttyKey(v: string): string {
  return `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: alice@host\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9\nGKJl\nPrivate-Lines: 1\n${v}AAAAIAxJ\nPrivate-MAC: 0f4d1b2c\n`;
}

function openvpnStatic(v: string): string {
  return `#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n${v}0123456789abcdef\n-----END OpenVPN Static key V1-----\n`;
}
