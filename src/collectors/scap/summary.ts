/**
 * The one compliance summary: counts per status and the score as the PatchMon agent computes
 * it, passed / counted × 100 with two decimals (0 when nothing was counted). Used for the
 * `_summary` items of OpenSCAP runs and for the PatchMon scan payloads.
 */
export interface Summary<S extends string> {
  counts: Record<S, number>;
  total: number;
  score: number;
}

/** Summarise statuses; every status in `known` is counted, zero when absent. */
export function summarise<S extends string>(statuses: Iterable<S>, known: readonly S[]): Summary<S> {
  const counts = Object.fromEntries(known.map((k) => [k, 0])) as Record<S, number>;
  let total = 0;
  for (const s of statuses) {
    counts[s] = (counts[s] ?? 0) + 1;
    total++;
  }
  const passed = (counts as Record<string, number>).pass ?? 0;
  return { counts, total, score: total ? Math.round((passed / total) * 10000) / 100 : 0 };
}
