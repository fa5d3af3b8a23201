/**
 * The state `syschangemon watch` keeps for a profile, beside the database in the storage
 * directory: per rule the last result and the fingerprint of its inputs at that evaluation,
 * and the transitions it logged. Written whole to a temporary file and renamed, so a reader
 * (the hourly run) never sees half of it and never waits for a lock.
 */
import * as fs from 'node:fs';

export interface WatchState {
  version: 1;
  profile: string;
  datastream_sha256: string;
  rules: Record<string, { result: string; inputs: string; at: string; severity: string; title: string }>;
  transitions: { rule: string; old: string; new: string; at: string; file: string; severity: string }[];
}

export const emptyWatchState = (): WatchState => ({ version: 1, profile: '', datastream_sha256: '', rules: {}, transitions: [] });

export function readWatchState(file: string): WatchState {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as WatchState;
    if (s.version === 1 && s.rules && Array.isArray(s.transitions)) return s;
  } catch {
    // absent or unreadable: nothing seen
  }
  return emptyWatchState();
}

export function writeWatchState(file: string, s: WatchState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
