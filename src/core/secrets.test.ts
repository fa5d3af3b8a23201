/**
 * The secret rules on one sample of every format (test/robustness/secret-formats.ts): key
 * files are secret as a whole, by path or content; other texts keep everything but their
 * secret values; plain configuration is kept as it is. The end-to-end proof that the bytes
 * reach nothing stored or printed is test/robustness/secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { samples } from './testdata/secret-formats.js';
import { BUILTIN_RULES, type SecretRules, REDACTED, checkSecretPatterns, isSecretPath, redactOutput, redactText, secretRules } from './secrets.js';

/** What the conffile collector keeps of a text. */
function classifyText(content: Buffer, rules: SecretRules = BUILTIN_RULES): { stored: string; text: string } {
  const r = redactText(content.toString('utf8'), rules);
  return r.secretFile ? { stored: 'secret', text: '' } : { stored: r.count ? 'redacted' : 'text', text: r.text };
}

const marker = () => `SECRETMARK${randomBytes(12).toString('hex').toUpperCase()}`;

test('every sample is kept as its format demands', () => {
  for (const s of samples(marker)) {
    const byPath = isSecretPath(BUILTIN_RULES, `/srv/tree/${s.path}`);
    const kept = byPath ? { stored: 'secret', text: '' } : classifyText(Buffer.from(s.text));
    assert.equal(kept.stored, s.expect, `${s.path}: ${kept.text}`);
    for (const secret of s.secrets) assert.ok(!kept.text.includes(secret), `${s.path}: ${secret} kept`);
    for (const line of s.kept) assert.ok(kept.text.includes(line), `${s.path}: "${line}" not kept in:\n${kept.text}`);
    if (s.expect === 'text') assert.equal(kept.text, s.text, s.path);
  }
});

test('key files are found by content whatever their name', () => {
  for (const s of samples(marker).filter((x) => x.expect === 'secret')) {
    if (s.path.includes('/ssl/private/') || !/PRIVATE KEY|PuTTY|OpenVPN|private-key|"kty"/.test(s.text)) continue;
    assert.equal(classifyText(Buffer.from(s.text)).stored, 'secret', s.path);
  }
});

test('the marker does not depend on the value: two secrets of different length give the same text', () => {
  const a = redactText('[client]\npassword = x\n').text;
  const b = redactText('[client]\npassword = a much longer password with spaces\n').text;
  assert.equal(a, b);
  assert.equal(a, `[client]\npassword = ${REDACTED}\n`);
});

test('values in other forms: commented out, quoted, JSON, XML, YAML blocks, URLs, command lines, hashes', () => {
  const cases: [string, string][] = [
    ['# password = old\n', `# password = ${REDACTED}\n`],
    ['export DB_PASSWORD="p w"\n', `export DB_PASSWORD="${REDACTED}"\n`],
    ["secret: 'x'\n", `secret: '${REDACTED}'\n`],
    ['{"user":"a","password":"x\\"y","n":1}', `{"user":"a","password":"${REDACTED}","n":1}`],
    ['  "client_secret": "abc",\n', `  "client_secret": "${REDACTED}",\n`],
    ['<Password>x</Password>\n', `<Password>${REDACTED}</Password>\n`],
    ['db:\n  password: |\n    l1\n    l2\n  host: h\n', `db:\n  password: |\n    ${REDACTED}\n  host: h\n`],
    ['DATABASE_URL=postgres://app:pw@db/app\n', `DATABASE_URL=postgres://app:${REDACTED}@db/app\n`],
    ['0 3 * * * root mysqldump --password=pw --all\n', `0 3 * * * root mysqldump --password=${REDACTED} --all\n`],
    ['requirepass foobared\n', `requirepass ${REDACTED}\n`],
    ['set superusers="root"\npassword_pbkdf2 root grub.pbkdf2.sha512.10000.ABCDEF.0123456789\n', `set superusers="root"\npassword_pbkdf2 root ${REDACTED}\n`],
    ['token = AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n', `token = ${REDACTED}\n`],
  ];
  for (const [input, want] of cases) assert.equal(redactText(input).text, want, input);
  // Kept: names that only contain a secret word, empty values, PAM's password stack.
  for (const plain of ['PasswordAuthentication yes\n', 'password_min_length = 8\n', 'password =\n', 'secret_paths = /x\n', 'password required pam_unix.so\n', 'echo "$1$2"\n']) {
    assert.equal(redactText(plain).text, plain, plain);
  }
});

test('configured patterns replace their groups, or the whole match', () => {
  const rules = secretRules(['**/vault/*'], ['^api_credential\\s*=\\s*(\\S+)$', 'XYZ-[0-9]{6}']);
  assert.equal(redactText('api_credential = abc\nid XYZ-123456 ok\n', rules).text, `api_credential = ${REDACTED}\nid ${REDACTED} ok\n`);
  assert.ok(isSecretPath(rules, '/etc/vault/token'));
  assert.match(checkSecretPatterns(['(']) ?? '', /bad pattern "\(":/);
  assert.match(checkSecretPatterns(['x*']) ?? '', /matches the empty text/);
  assert.equal(checkSecretPatterns(['ok']), undefined);
});

test('command output: values redacted, a key printed whole replaced by one line', () => {
  assert.equal(redactOutput('[client]\npassword = pw\n'), `[client]\npassword = ${REDACTED}\n`);
  assert.equal(redactOutput('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n'), `${REDACTED} (the output holds a private key)\n`);
  assert.equal(redactOutput(''), '');
});
