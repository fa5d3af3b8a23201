/**
 * A parser of Docker Bench for Security JSON logs (v1.6 format): top-level `dockerbenchsecurity`,
 * `start`, `end`, `tests[]` (sections `{id, desc, results[]}`), `checks`, `score`; each result
 * `{id, desc, result: PASS|WARN|INFO|NOTE, details?, items?}`.
 */

export interface DockerBenchCheck {
  id: string;
  section: string;
  desc: string;
  result: string;
  /** Inferred from the CIS section, as the PatchMon agent does: 1, 2 and 5 high, else medium. */
  severity: 'high' | 'medium';
  details: string;
}

export interface DockerBenchLog {
  version: string;
  checks: DockerBenchCheck[];
  score: number | undefined;
}

const RESULTS = new Set(['pass', 'warn', 'info', 'note']);

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
  const d = doc as { dockerbenchsecurity?: unknown; tests: unknown[]; score?: unknown };
  const checks: DockerBenchCheck[] = [];
  for (const section of d.tests) {
    if (!section || typeof section !== 'object') continue;
    const s = section as { id?: unknown; desc?: unknown; results?: unknown };
    if (!Array.isArray(s.results)) continue;
    for (const r of s.results) {
      if (!r || typeof r !== 'object') continue;
      const c = r as { id?: unknown; desc?: unknown; result?: unknown; details?: unknown };
      const result = String(c.result ?? '').toLowerCase();
      if (typeof c.id !== 'string' || !RESULTS.has(result)) continue;
      checks.push({
        id: c.id,
        section: `${String(s.id ?? '')} ${String(s.desc ?? '')}`.trim(),
        desc: String(c.desc ?? ''),
        result,
        severity: /^[125]\./.test(c.id) ? 'high' : 'medium',
        details: typeof c.details === 'string' ? c.details : '',
      });
    }
  }
  return {
    version: typeof d.dockerbenchsecurity === 'string' ? d.dockerbenchsecurity : '',
    checks,
    score: typeof d.score === 'number' ? d.score : undefined,
  };
}
