/**
 * The recipients `[mail.smtp]` names. One definition, so that whether a report waits for mail
 * (App) and whether mail is sent (the mail step, `email-report`) always agree.
 */
import type { Options } from '../types.js';

/** Split a comma (or line) list of addresses; empty entries are dropped. */
export function addressList(value: unknown): string[] {
  return typeof value === 'string'
    ? value
        .split(/[,\n]/)
        .map((a) => a.trim())
        .filter(Boolean)
    : [];
}

/** Whether `[mail.smtp]` names any recipient (to_addr, cc or bcc). */
export function hasRecipients(smtp: Options): boolean {
  return [smtp.to_addr, smtp.cc, smtp.bcc].some((v) => addressList(v).length > 0);
}
