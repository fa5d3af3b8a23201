/**
 * `print-report --format pdf -o FILE`: the HTML report printed to PDF by headless Chromium
 * (Debian's `chromium`), as sec-report did with a browser. The page is a private temporary
 * file; Chromium gets its own temporary profile, no sandbox (it runs as root), and no network
 * beyond the file itself. The PDF is written 0600: a report says what changed on the host.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SysError } from '../errors.js';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium program on PATH, if any. */
export function findChromium(path = process.env.PATH ?? ''): string | undefined {
  for (const name of NAMES) {
    for (const dir of path.split(delimiter).filter((d) => isAbsolute(d))) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch { /* next */ }
    }
  }
  return undefined;
}

/** Print an HTML page to a PDF file; a missing Chromium or a failed print is one line. */
export function htmlToPdf(html: string, outFile: string, opts: { timeoutMs?: number } = {}): void {
  const chromium = findChromium();
  if (!chromium) throw new SysError('E_RUNTIME', 'cannot write a PDF: no chromium on PATH (Debian: apt install chromium)');
  const dir = mkdtempSync(join(tmpdir(), 'syschangemon-pdf-'));
  try {
    const page = join(dir, 'report.html');
    const pdf = join(dir, 'report.pdf');
    writeFileSync(page, html, { mode: 0o600 });
    const r = spawnSync(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
      '--disable-default-apps', '--mute-audio', '--no-pdf-header-footer', '--run-all-compositor-stages-before-draw',
      `--user-data-dir=${join(dir, 'profile')}`, `--crash-dumps-dir=${join(dir, 'crash')}`,
      `--print-to-pdf=${pdf}`, pathToFileURL(page).href,
    ], { encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, HOME: dir } });
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(pdf);
    } catch { /* below */ }
    if (!bytes || bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
      const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
      const line = (r.stderr ?? '').split('\n').find((l) => /error|fatal/i.test(l))?.trim().slice(0, 200);
      throw new SysError('E_RUNTIME', `cannot write a PDF: ${chromium} printed nothing (${why}${line ? `: ${line}` : ''})`);
    }
    let fd: number;
    try {
      fd = openSync(outFile, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw new SysError('E_RUNTIME', `cannot write ${outFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
