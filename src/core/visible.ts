/**
 * Text that cannot steer a terminal or reorder what it shows. Everything syschangemon prints
 * as text or HTML (reports, mail, syslog, log lines, tables) passes through
 * {@link visibleControls}: C0 controls other than tab and newline, DEL, C1 controls
 * (U+0080–U+009F), the bidirectional controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)
 * and the line and paragraph separators (U+2028, U+2029) are shown as `\x1b`, `\u009b`,
 * `\u202e`. JSON output keeps the exact strings.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const ANY_UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every control that could steer a terminal or reorder text shown visibly. */
export function visibleControls(text: string): string {
  return ANY_UNSAFE.test(text) ? text.replace(UNSAFE, escapeOne) : text;
}
