/**
 * Pure rules deciding what of a configuration file's text may be stored (see
 * src/core/secrets.ts for the secret rules).
 */
import { BUILTIN_RULES, type SecretRules, holdsSecretKey, redactText } from '../../core/secrets.js';

/** How a conffile item's content was kept (`stored` attribute). */
export type Stored = 'text' | 'redacted' | 'binary' | 'too_large' | 'secret' | 'excluded_builtin';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What may be kept of a file's bytes: `secret` (a key file: nothing), `binary` (NUL bytes or
 * invalid UTF-8: nothing), `redacted` (the text with its secret values replaced) or `text`
 * (the text as it is).
 */
export function classifyText(content: Buffer, rules: SecretRules = BUILTIN_RULES): { stored: 'text' | 'redacted' | 'binary' | 'secret'; text: string } {
  let text: string | undefined;
  if (!content.includes(0)) {
    try {
      utf8.decode(content);
      text = content.toString('utf8');
    } catch {
      text = undefined;
    }
  }
  if (text === undefined) return { stored: holdsSecretKey(content.toString('latin1')) ? 'secret' : 'binary', text: '' };
  const r = redactText(text, rules);
  if (r.secretFile) return { stored: 'secret', text: '' };
  return r.count ? { stored: 'redacted', text: r.text } : { stored: 'text', text };
}

/** `secret` if it holds a private key, `text` if valid UTF-8 without NUL bytes, else `binary`. */
export function classify(content: Buffer): 'text' | 'redacted' | 'binary' | 'secret' {
  return classifyText(content).stored;
}
