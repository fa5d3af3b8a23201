/**
 * Every place a stored byte can come out: the storage directory's files (database, WAL,
 * shared memory, state), the printed reports, the exports and the mails a test SMTP server
 * received (raw and decoded). Tests that prove a byte never leaves the host search them all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Sandbox } from '../helpers.js';
import type { startSmtp } from '../../src/mail/test-smtp.js';

/** Every file in the storage directory, concatenated. */
export function storageBytes(dir: string): Buffer {
  return Buffer.concat(fs.readdirSync(dir).map((n) => fs.readFileSync(path.join(dir, n))));
}

export type Place = [where: string, bytes: Buffer | string];

/** The storage files, print-report json/text/html, export json/csv, then each mail raw and decoded. */
export async function everyOutput(sb: Sandbox, server: Awaited<ReturnType<typeof startSmtp>>): Promise<Place[]> {
  const places: Place[] = [['the database files', storageBytes(sb.storage)]];
  for (const format of ['json', 'text', 'html']) places.push([`print-report ${format}`, (await sb.runAsync('print-report', '--format', format)).stdout]);
  for (const format of ['json', 'csv']) places.push([`export ${format}`, (await sb.runAsync('export', '--format', format)).stdout]);
  for (const [i, m] of server.received.entries()) {
    places.push([`mail ${i + 1} (raw)`, m.bytes]);
    places.push([`mail ${i + 1} (decoded)`, `${m.mail.subject ?? ''}\n${m.mail.text ?? ''}\n${typeof m.mail.html === 'string' ? m.mail.html : ''}`]);
  }
  return places;
}
