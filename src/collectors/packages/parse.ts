/**
 * Pure parsers for dpkg's database (`status`, `info/<pkg>.list`, `.md5sums`, `.conffiles`)
 * and `dpkg.log`. Paths are bytes on Linux: the database files are read as Buffers and paths
 * come back as Buffers, everything else as text.
 */

/** One package paragraph of `/var/lib/dpkg/status`. */
export interface StatusEntry {
  name: string;
  arch: string;
  version: string;
  /** The Status field, e.g. `install ok installed`. */
  status: string;
  /** Source package name, when the Source field names one. */
  source?: string;
  /** `Multi-Arch: same` packages keep their info files as `<name>:<arch>.*`. */
  multiArchSame: boolean;
  /** Conffiles with the md5 of the version the package ships (`newconffile` while unpacking). */
  conffiles: ConffileEntry[];
}

export interface ConffileEntry {
  path: Buffer;
  md5: string;
  /** `obsolete` or `remove-on-upgrade` when flagged. */
  flag?: string;
}

/** The third word of Status: installed, config-files, not-installed, half-installed, … */
function packageState(status: string): string {
  return status.trim().split(/\s+/)[2] ?? '';
}

/** Whether the package's files are on disk (anything but not-installed / config-files). */
export function isInstalled(status: string): boolean {
  const s = packageState(status);
  return s !== '' && s !== 'not-installed' && s !== 'config-files';
}

/**
 * Split deb822 text into paragraphs of fields. Continuation lines (starting with a space or
 * tab) are kept with their leading whitespace, joined by `\n`. Text is latin1 so that bytes
 * survive; callers turn paths back into Buffers.
 */
function parseParagraphs(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let cur: Map<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      cur = undefined;
      last = undefined;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && cur && last) {
      cur.set(last, `${cur.get(last)}\n${line}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!cur) out.push((cur = new Map()));
    last = line.slice(0, colon).toLowerCase();
    cur.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

/** Parse `/var/lib/dpkg/status`. Paragraphs without Package are skipped. */
export function parseStatus(data: Buffer | string): StatusEntry[] {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const out: StatusEntry[] = [];
  for (const p of parseParagraphs(text)) {
    const name = p.get('package');
    if (!name) continue;
    const entry: StatusEntry = {
      name,
      arch: p.get('architecture') || 'all',
      version: p.get('version') ?? '',
      status: p.get('status') ?? '',
      multiArchSame: (p.get('multi-arch') ?? '').toLowerCase() === 'same',
      conffiles: [],
    };
    const source = p.get('source')?.split(/\s+/)[0];
    if (source) entry.source = source;
    for (const line of (p.get('conffiles') ?? '').split('\n')) {
      const m = /^\s*(\/.*?)\s+([0-9a-f]{32}|newconffile)(?:\s+(obsolete|remove-on-upgrade))?\s*$/.exec(line);
      if (m) entry.conffiles.push({ path: Buffer.from(m[1]!, 'latin1'), md5: m[2]!, ...(m[3] ? { flag: m[3] } : {}) });
    }
    out.push(entry);
  }
  return out;
}

function lines(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, start);
    const end = nl < 0 ? data.length : nl;
    if (end > start) out.push(data.subarray(start, end));
    if (nl < 0) return out;
    start = nl + 1;
  }
}

/** Parse `info/<pkg>.list`: absolute paths, one a line; `/.` (the root itself) is dropped. */
export function parseList(data: Buffer): Buffer[] {
  return lines(data).filter((l) => !(l.length === 2 && l[0] === 0x2f && l[1] === 0x2e));
}

/** Parse `info/<pkg>.md5sums` (`<md5>  <path relative to />`) into absolute path (latin1) → md5. */
export function parseMd5sums(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines(data)) {
    const m = /^([0-9a-f]{32}) [ *]?(.+)$/.exec(l.toString('latin1'));
    if (!m) continue;
    const p = m[2]!.startsWith('/') ? m[2]! : `/${m[2]}`;
    out.set(p, m[1]!);
  }
  return out;
}

/** Parse `info/<pkg>.conffiles`: paths, optionally preceded by a flag (`remove-on-upgrade /etc/x`). */
export function parseConffiles(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const l of lines(data)) {
    const s = l.toString('latin1').trim();
    const m = /^(?:(?:remove-on-upgrade)\s+)?(\/.*)$/.exec(s);
    if (m) out.push(Buffer.from(m[1]!, 'latin1'));
  }
  return out;
}

/** One dpkg.log action line (install, upgrade, remove, purge, configure, trigproc). */
export interface DpkgLogEntry {
  /** Local time as written, `YYYY-MM-DD HH:MM:SS`. */
  time: string;
  action: string;
  package: string;
  arch: string;
  /** `null` for `<none>`. */
  old: string | null;
  new: string | null;
}

const ACTIONS = new Set(['install', 'upgrade', 'remove', 'purge', 'configure', 'trigproc']);

/** Parse one dpkg.log line; undefined for status, conffile and startup lines and for junk. */
export function parseDpkgLogLine(line: string): DpkgLogEntry | undefined {
  const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+) (\S+) (\S+) (\S+)\s*$/.exec(line);
  if (!m || !ACTIONS.has(m[2]!)) return undefined;
  const [name, arch = ''] = m[3]!.split(':');
  const v = (s: string) => (s === '<none>' ? null : s);
  return { time: m[1]!, action: m[2]!, package: name!, arch, old: v(m[4]!), new: v(m[5]!) };
}

/**
 * A dpkg.log status line (`<time> status <state> <pkg>:<arch> <version>`) as an entry with
 * action `status`, the state in `old` and the version in `new`; undefined for anything else.
 */
export function parseDpkgStatusLine(line: string): DpkgLogEntry | undefined {
  const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) status (\S+) (\S+) (\S+)\s*$/.exec(line);
  if (!m) return undefined;
  const [name, arch = ''] = m[3]!.split(':');
  return { time: m[1]!, action: 'status', package: name!, arch, old: m[2]!, new: m[4]! };
}

/** Parse dpkg.log text into action entries, in file order; with `status`, status lines too. */
export function parseDpkgLog(text: string, opts: { status?: boolean } = {}): DpkgLogEntry[] {
  const out: DpkgLogEntry[] = [];
  for (const line of text.split('\n')) {
    const e = parseDpkgLogLine(line) ?? (opts.status ? parseDpkgStatusLine(line) : undefined);
    if (e) out.push(e);
  }
  return out;
}

/** The local-time stamp of a dpkg.log line as a Date (dpkg writes local time without zone). */
export function logTime(time: string): Date {
  const [d, t] = time.split(' ');
  const [y, mo, da] = d!.split('-').map(Number);
  const [h, mi, s] = t!.split(':').map(Number);
  return new Date(y!, mo! - 1, da!, h!, mi!, s!);
}
