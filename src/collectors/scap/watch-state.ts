/**
 * What `syschangemon watch` shares with the hourly run for a profile, kept in the store (one
 * named value per profile, see Store.meta): per rule the last result and the fingerprint of
 * its inputs at that evaluation, and the transitions it logged. The hourly run takes the
 * results whose fingerprints still match instead of evaluating those rules again, and its
 * report lists the transitions watch saw since the previous run, a flip and a flip back
 * included. Watch writes the whole value in one short transaction; a reader sees the last
 * committed one and never waits for watch.
 */

export interface WatchTransition {
  rule: string;
  old: string;
  new: string;
  at: string;
  file: string;
  severity: string;
}

export interface WatchState {
  version: 1;
  profile: string;
  datastream_sha256: string;
  rules: Record<string, { result: string; inputs: string; at: string; severity: string; title: string }>;
  transitions: WatchTransition[];
}

/** Transitions kept: the last 1000, none older than 31 days. */
const KEEP_TRANSITIONS = 1000;
const KEEP_MS = 31 * 86400_000;

/** The store's name of a profile's watch state (short profile id). */
export const watchStateName = (profile: string) => `scap_watch:${profile}`;

export const emptyWatchState = (): WatchState => ({ version: 1, profile: '', datastream_sha256: '', rules: {}, transitions: [] });

export function parseWatchState(text: string | undefined): WatchState {
  if (!text) return emptyWatchState();
  try {
    const s = JSON.parse(text) as WatchState;
    if (s.version === 1 && s.rules && typeof s.rules === 'object' && Array.isArray(s.transitions)) return s;
  } catch {
    // damaged: nothing seen
  }
  return emptyWatchState();
}

export function serializeWatchState(s: WatchState, now = Date.now()): string {
  s.transitions = s.transitions.filter((t) => now - Date.parse(t.at) < KEEP_MS).slice(-KEEP_TRANSITIONS);
  return JSON.stringify(s);
}

/** Transitions at a time in (from, to]: what happened between two hourly runs. */
export function transitionsBetween(s: WatchState, from: string, to: string): WatchTransition[] {
  const a = Date.parse(from);
  const b = Date.parse(to);
  return s.transitions.filter((t) => {
    const x = Date.parse(t.at);
    return x > a && x <= b;
  });
}
