/**
 * A report's changes as Elastic Common Schema events, one JSON object per change, for
 * Filebeat, Fluent Bit, Vector, Elasticsearch and OpenSearch. File changes carry the fields
 * Auditbeat's file_integrity module writes (so its dashboards work); packages, logins,
 * compliance results, accounts and listeners map to their ECS field sets; syschangemon's own
 * fields are under `syschangemon.*`.
 */
import * as fs from 'node:fs';
import { parseOsRelease } from '../collectors/sysinfo/facts.js';
import type { ReportChange } from '../core/report-model.js';
import { displayPath } from '../keys.js';
import type { AttrValue } from '../types.js';

export const ECS_VERSION = '8.11.0';

export interface EcsHost {
  name: string;
  id?: string;
  os?: { family?: string; name?: string; version?: string; full?: string; kernel?: string; platform?: string; type: 'linux' };
}

export interface EcsContext {
  reportUuid: string;
  /** When the new session was taken: the events' @timestamp. */
  timestamp: string;
  host: EcsHost;
  /** Titles of compliance rules by `<profile>/<rule>` (the report's compliance transitions), for changes that do not repeat them. */
  ruleTitles?: Map<string, string>;
}

type Json = Record<string, unknown>;

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** host.* of this machine: the report's host name, machine id and os-release. */
export function ecsHost(hostname: string): EcsHost {
  const f = parseOsRelease(read('/etc/os-release'));
  const id = read('/etc/machine-id').trim();
  const os: NonNullable<EcsHost['os']> = { type: 'linux' };
  const family = (f.get('ID_LIKE') ?? f.get('ID') ?? '').split(/\s+/)[0];
  if (family) os.family = family;
  if (f.get('NAME')) os.name = f.get('NAME');
  if (f.get('VERSION_ID')) os.version = f.get('VERSION_ID');
  if (f.get('PRETTY_NAME')) os.full = f.get('PRETTY_NAME');
  if (f.get('ID')) os.platform = f.get('ID');
  const kernel = read('/proc/sys/kernel/osrelease').trim();
  if (kernel) os.kernel = kernel;
  return { name: hostname, ...(id ? { id } : {}), os };
}

/** The value of an attribute after the change (before it, for a removed item). */
function side(c: ReportChange, name: string): AttrValue | undefined {
  const a = c.attributes[name];
  if (!a) return undefined;
  const v = c.change === 'removed' ? a.old : a.new ?? a.old;
  return v === null ? undefined : v;
}

const TYPE: Record<ReportChange['change'], string> = { added: 'creation', removed: 'deletion', changed: 'change' };
const str = (v: AttrValue | undefined) => (v === undefined ? undefined : String(v));
const num = (v: AttrValue | undefined) => (typeof v === 'number' ? v : v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

/** Drop undefined members (ECS documents must not carry nulls for absent fields). */
function clean<T extends Json>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) delete o[k];
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      clean(v as Json);
      if (Object.keys(v).length === 0) delete o[k];
    }
  }
  return o;
}

const CONTENT_ATTRS = new Set(['sha256', 'size', 'target', 'content']);
const FILE_TYPES: Record<string, string> = { file: 'file', dir: 'dir', directory: 'dir', symlink: 'symlink' };

function fileFields(c: ReportChange): { file: Json; action: string } {
  const path = displayPath(c.key);
  const type = str(side(c, 'type'));
  const file: Json = {
    path,
    name: path.split('/').pop(),
    directory: path.slice(0, path.lastIndexOf('/')) || '/',
    type: type ? FILE_TYPES[type] ?? 'file' : undefined,
    inode: str(side(c, 'inode')),
    uid: str(side(c, 'uid')),
    owner: str(side(c, 'user')),
    gid: str(side(c, 'gid')),
    group: str(side(c, 'group')),
    mode: str(side(c, 'mode')),
    size: num(side(c, 'size')),
    mtime: str(side(c, 'mtime')),
    ctime: str(side(c, 'ctime')),
    target_path: str(side(c, 'target')),
  };
  const sha = str(side(c, 'sha256'));
  if (sha) file.hash = { sha256: sha };
  let action = c.change === 'added' ? 'created' : c.change === 'removed' ? 'deleted' : 'updated';
  if (c.change === 'changed' && !Object.keys(c.attributes).some((a) => CONTENT_ATTRS.has(a)) && !c.diff) action = 'attributes_modified';
  return { file, action };
}

const RESULT_OUTCOME: Record<string, string> = { pass: 'success', passed: 'success', fixed: 'success', fail: 'failure', failed: 'failure', error: 'failure' };

/** One ECS event for one change. */
export function ecsEvent(c: ReportChange, ctx: EcsContext): Json {
  const type = TYPE[c.change];
  const event: Json = { kind: 'event', module: 'syschangemon', dataset: `syschangemon.${c.plugin}` };
  const doc: Json = { '@timestamp': ctx.timestamp, ecs: { version: ECS_VERSION }, event, host: ctx.host };
  const own: Json = { report: { uuid: ctx.reportUuid }, key: c.key, change: c.change, plugin: c.plugin };
  const changed = Object.keys(c.attributes).sort();
  if (changed.length) own.changed_attributes = changed;
  const sev = (c as ReportChange & { severity?: string }).severity;
  if (sev) own.severity = sev;
  if (c.explained_by) own.explained_by = c.explained_by;
  if (c.diff) own.diff = c.diff;
  if (c.note) own.note = c.note;
  doc.syschangemon = own;
  const users = [...new Set((c.logins ?? []).map((l) => l.user))];
  if (users.length === 1) doc.user = { name: users[0] };
  if (users.length) doc.related = { user: users };
  const rest = c.key.slice(c.key.indexOf('://') + 3);
  switch (c.plugin) {
    case 'file':
    case 'conffile': {
      const f = fileFields(c);
      Object.assign(event, { category: ['file'], type: [type], action: f.action });
      doc.file = f.file;
      break;
    }
    case 'packages': {
      const [name, arch] = rest.split(':');
      Object.assign(event, { category: ['package'], type: [c.change === 'added' ? 'installation' : type], action: c.change === 'added' ? 'installed' : c.change === 'removed' ? 'removed' : 'upgraded' });
      doc.package = { name, architecture: arch ?? str(side(c, 'arch')), version: str(side(c, 'version')) };
      break;
    }
    case 'wtmp': {
      Object.assign(event, { category: ['authentication', 'session'], type: [c.change === 'removed' ? 'end' : 'start'], action: c.change === 'removed' ? 'logged-out' : 'logged-in', outcome: 'success' });
      const user = str(side(c, 'user')) ?? rest.split('@')[0];
      doc.user = { name: user };
      const host = str(side(c, 'host'));
      if (host) doc.source = { address: host };
      break;
    }
    case 'scap':
    case 'sca': {
      const slash = rest.indexOf('/');
      const result = str(side(c, 'result'));
      Object.assign(event, { category: ['configuration'], type: [type], action: 'compliance-result', outcome: result ? RESULT_OUTCOME[result] ?? 'unknown' : 'unknown' });
      doc.rule = { id: rest.slice(slash + 1), name: str(side(c, 'title')) ?? str(side(c, 'desc')) ?? ctx.ruleTitles?.get(rest), ruleset: rest.slice(0, slash) };
      if (result) (doc.rule as Json).description = `${str(c.attributes.result?.old) ?? '-'} -> ${result}`;
      break;
    }
    case 'users':
      Object.assign(event, { category: ['iam'], type: ['user', type], action: `user-${c.change}` });
      doc.user = { name: rest, id: str(side(c, 'uid')) };
      break;
    case 'groups':
      Object.assign(event, { category: ['iam'], type: ['group', type], action: `group-${c.change}` });
      doc.group = { name: rest, id: str(side(c, 'gid')) };
      break;
    case 'ports': {
      const [proto, address, port] = rest.split('/');
      Object.assign(event, { category: ['network'], type: [c.change === 'removed' ? 'end' : c.change === 'added' ? 'start' : 'info'], action: `listener-${c.change}` });
      doc.network = { transport: proto?.replace(/6$/, '') };
      doc.server = { address: address?.replace(/^\[|\]$/g, ''), port: num(port) };
      doc.process = { pid: num(side(c, 'pid')), name: str(side(c, 'program')), executable: str(side(c, 'exe')) };
      break;
    }
    default:
      Object.assign(event, { category: ['host'], type: [c.change === 'added' ? 'info' : c.change === 'removed' ? 'end' : 'change'], action: `${c.plugin}-${c.change}` });
  }
  return clean(doc);
}

/** The events of a report, one JSON line each. */
export function* ecsLines(changes: Iterable<ReportChange>, ctx: EcsContext): Generator<string> {
  for (const c of changes) yield `${JSON.stringify(ecsEvent(c, ctx))}\n`;
}

/**
 * Append lines to an NDJSON file: opened O_APPEND each time (so logrotate's rename starts a
 * new file at the next report), never through a symlink, created 0640.
 */
export function appendLines(file: string, lines: Iterable<string>): number {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o640);
  let n = 0;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    let buf = '';
    for (const l of lines) {
      buf += l;
      n++;
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf) fs.writeSync(fd, buf);
  } finally {
    fs.closeSync(fd);
  }
  return n;
}
