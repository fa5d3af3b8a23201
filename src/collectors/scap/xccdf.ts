/**
 * A streaming parser of XCCDF results (`oscap xccdf eval --results`, also the XCCDF inside an
 * ARF file): rule results from the TestResult, titles and idents from the Benchmark's Rules.
 * Results files are 7+ MB even for one rule, so the document is never held whole.
 */
import * as fs from 'node:fs';
import { SaxesParser } from 'saxes';

export const RESULTS = ['pass', 'fail', 'error', 'unknown', 'notapplicable', 'notchecked', 'informational', 'fixed'] as const;
export type RuleResultValue = (typeof RESULTS)[number];

export interface RuleResult {
  /** Full XCCDF rule id. */
  id: string;
  result: RuleResultValue;
  severity: string;
  title: string;
  /** CCE and other identifiers, comma-joined. */
  ident: string;
  message: string;
}

export interface XccdfResults {
  /** Full profile id of the TestResult. */
  profile: string;
  startTime: string;
  endTime: string;
  rules: RuleResult[];
  /** The score oscap wrote (`urn:xccdf:scoring:default`), if any. */
  oscapScore: number | undefined;
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** Parse results from chunks of XML text. Throws one clean Error for malformed or truncated input. */
export function parseXccdfChunks(chunks: Iterable<string>, source = 'results'): XccdfResults {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const titles = new Map<string, string>();
  const ruleIdents = new Map<string, string[]>();
  const out: XccdfResults = { profile: '', startTime: '', endTime: '', rules: [], oscapScore: undefined };
  const stack: string[] = [];
  let rule: string | undefined; // Rule being read (Benchmark)
  let rr: { id: string; severity: string; result: string; idents: string[]; messages: string[] } | undefined;
  let inTestResult = false;
  let text = '';
  let sawTestResult = false;
  let scoreSystem = '';
  let failure: Error | undefined;

  parser.on('opentag', (node) => {
    const name = local(node.name);
    stack.push(name);
    text = '';
    const attr = (a: string) => {
      const v = node.attributes[a];
      return typeof v === 'string' ? v : '';
    };
    if (name === 'Rule' && !inTestResult) rule = attr('id');
    else if (name === 'TestResult') {
      inTestResult = true;
      sawTestResult = true;
      out.startTime = attr('start-time');
      out.endTime = attr('end-time');
    } else if (inTestResult && name === 'profile' && stack[stack.length - 2] === 'TestResult') out.profile = attr('idref');
    else if (inTestResult && name === 'rule-result') rr = { id: attr('idref'), severity: attr('severity') || 'unknown', result: '', idents: [], messages: [] };
    else if (inTestResult && name === 'score') scoreSystem = attr('system');
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (node) => {
    const name = local(node.name);
    stack.pop();
    const value = text.trim();
    const parent = stack[stack.length - 1];
    if (rule && name === 'title' && parent === 'Rule' && !titles.has(rule)) titles.set(rule, value);
    else if (rule && name === 'ident' && parent === 'Rule') (ruleIdents.get(rule) ?? ruleIdents.set(rule, []).get(rule)!).push(value);
    else if (name === 'Rule') rule = undefined;
    else if (rr && name === 'result' && parent === 'rule-result') rr.result = value;
    else if (rr && name === 'ident' && parent === 'rule-result') rr.idents.push(value);
    else if (rr && name === 'message' && parent === 'rule-result') rr.messages.push(value);
    else if (rr && name === 'rule-result') {
      if (rr.result !== 'notselected') {
        if (!(RESULTS as readonly string[]).includes(rr.result)) throw new Error(`rule ${rr.id} has an unknown result '${rr.result}'`);
        out.rules.push({ id: rr.id, result: rr.result as RuleResultValue, severity: rr.severity, title: '', ident: rr.idents.join(','), message: rr.messages.join(' ') });
      }
      rr = undefined;
    } else if (name === 'score' && inTestResult && (scoreSystem === 'urn:xccdf:scoring:default' || out.oscapScore === undefined)) {
      const n = Number(value);
      if (Number.isFinite(n)) out.oscapScore = n;
    } else if (name === 'TestResult') inTestResult = false;
    text = '';
  });
  parser.on('error', (err) => {
    failure ??= err;
  });
  try {
    for (const chunk of chunks) {
      parser.write(chunk);
      if (failure) break;
    }
    if (!failure) parser.close();
  } catch (err) {
    failure ??= err as Error;
  }
  if (failure) throw new Error(`${source}: not valid XCCDF results: ${String(failure.message).split('\n')[0]}`);
  if (!sawTestResult) throw new Error(`${source}: no TestResult element (is this an oscap results file?)`);
  for (const r of out.rules) {
    r.title = titles.get(r.id) ?? '';
    if (!r.ident) r.ident = (ruleIdents.get(r.id) ?? []).join(',');
  }
  return out;
}

/** Read a results file in 1 MiB chunks. */
/**
 * Feed a file to a saxes parser whose handlers are set, in chunks, and close it. Throws
 * `<file>: not valid XML: <first line of the parser's message>` on the first error.
 */
export function readXmlFile(parser: SaxesParser, file: string): void {
  let failure: Error | undefined;
  parser.on('error', (err) => {
    failure ??= err;
  });
  for (const chunk of fileChunks(file)) {
    parser.write(chunk);
    if (failure) break;
  }
  if (!failure) parser.close();
  if (failure) throw new Error(`${file}: not valid XML: ${failure.message.split('\n')[0]}`);
}

export function* fileChunks(file: string): Generator<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const decoder = new TextDecoder('utf-8');
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      yield decoder.decode(buf.subarray(0, n), { stream: true });
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    fs.closeSync(fd);
  }
}

export function parseXccdfFile(file: string): XccdfResults {
  return parseXccdfChunks(fileChunks(file), file);
}

/** One profile of one datastream (PatchMon `ProfileInfo`). */
export interface ProfileInfo {
  id: string;
  title: string;
  description: string;
  /** The file that defines it. */
  file_path: string;
}

/**
 * Whether a datastream or tailoring file defines this profile, by a byte search for
 * `Profile id="<id>"` (10 ms for 10 MB instead of a full parse). A miss is not proof: callers
 * confirm it with {@link datastreamProfiles} (which also lists what is there).
 */
export function mentionsProfile(file: string, id: string): boolean {
  return fs.readFileSync(file).includes(`Profile id="${id}"`);
}

/** Profiles of a source datastream (or XCCDF benchmark or tailoring file), read with the streaming parser. */
export function datastreamProfiles(file: string): ProfileInfo[] {
  const parser = new SaxesParser({ xmlns: false });
  const profiles: ProfileInfo[] = [];
  let current: ProfileInfo | undefined;
  let depth = 0;
  let text = '';
  parser.on('opentag', (node) => {
    const name = local(node.name);
    text = '';
    if (name === 'Profile' && !current) {
      current = { id: String(node.attributes.id ?? ''), title: '', description: '', file_path: file };
      depth = 0;
    } else if (current) depth++;
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (node) => {
    const name = local(node.name);
    if (current && name === 'Profile') {
      profiles.push(current);
      current = undefined;
    } else if (current) {
      if (depth === 1 && name === 'title' && !current.title) current.title = text.trim();
      if (depth === 1 && name === 'description' && !current.description) current.description = text.replace(/\s+/g, ' ').trim();
      depth--;
    }
    text = '';
  });
  readXmlFile(parser, file);
  return profiles;
}
