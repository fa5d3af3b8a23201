/**
 * A parser of Docker Bench for Security JSON logs (v1.6 format): top-level `dockerbenchsecurity`,
 * `start`, `end`, `tests[]` (sections `{id, desc, results[]}`), `checks`, `score`; each result
 * `{id, desc, result: PASS|WARN|INFO|NOTE, details?, items?}`.
 */

export interface DockerBenchCheck {
  id: string;
  section: string;
  desc: string;
  /** The status as CIS reads it (PatchMon's mapping): pass, fail (WARN), warn (INFO), skip (NOTE). */
  result: string;
  /** Docker Bench's own status, lowercased: pass, warn, info, note. */
  status: string;
  /** Inferred from the CIS section, as the PatchMon agent does: 1, 2 and 5 high, else medium. */
  severity: 'high' | 'medium';
  details: string;
}

export interface DockerBenchLog {
  version: string;
  checks: DockerBenchCheck[];
  score: number | undefined;
  /** When the bench started (the log's `start`, seconds since the epoch), ISO text. */
  started: string | undefined;
}

/** Docker Bench status → result: a WARN is a failed CIS check. */
const BENCH_RESULT: Readonly<Record<string, string>> = { pass: 'pass', warn: 'fail', info: 'warn', note: 'skip' };

/** Parse a log's text. Throws one clean Error for anything that is not such a log. */
export function parseDockerBench(text: string, source = 'docker-bench log'): DockerBenchLog {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { tests?: unknown }).tests)) {
    throw new Error(`${source}: not a Docker Bench log (no "tests" array)`);
  }
  const d = doc as { dockerbenchsecurity?: unknown; tests: unknown[]; score?: unknown; start?: unknown };
  const checks: DockerBenchCheck[] = [];
  for (const section of d.tests) {
    if (!section || typeof section !== 'object') continue;
    const s = section as { id?: unknown; desc?: unknown; results?: unknown };
    if (!Array.isArray(s.results)) continue;
    for (const r of s.results) {
      if (!r || typeof r !== 'object') continue;
      const c = r as { id?: unknown; desc?: unknown; result?: unknown; details?: unknown };
      const status = String(c.result ?? '').toLowerCase();
      const result = Object.hasOwn(BENCH_RESULT, status) ? BENCH_RESULT[status] : undefined;
      if (typeof c.id !== 'string' || result === undefined) continue;
      checks.push({
        id: c.id,
        section: `${String(s.id ?? '')} ${String(s.desc ?? '')}`.trim(),
        desc: String(c.desc ?? ''),
        result,
        status,
        severity: /^[125]\./.test(c.id) ? 'high' : 'medium',
        details: typeof c.details === 'string' ? c.details : '',
      });
    }
  }
  return {
    version: typeof d.dockerbenchsecurity === 'string' ? d.dockerbenchsecurity : '',
    checks,
    score: typeof d.score === 'number' ? d.score : undefined,
    started: typeof d.start === 'number' && Number.isFinite(d.start) && Math.abs(d.start) < 1e11 ? new Date(d.start * 1000).toISOString() : undefined,
  };
}
