/**
 * Memory settings the program gives itself, however it is started (the npm bin `node
 * dist/cli.js`, the Debian wrapper, the systemd unit). cli.ts imports this module first, and it
 * applies them as it is evaluated, before the other modules load: applied after them, the
 * same no-change collect of tree (a) peaked at 115 MB instead of 97 MB.
 *
 * - V8's young generation stays at its initial size (`--semi-space-growth-factor=1`, at most 2
 *   MB a semi-space) and the old generation grows by 20% between full collections instead of
 *   by V8's default factor (up to 4×) (`--heap-growing-percent=20`). A collect walks and stores
 *   entries in batches that live for a few thousand entries; with V8's defaults they reach the
 *   old generation and pile up there as garbage until a full collection, which V8 puts off
 *   while the heap is small against its limit. The flags are read at each collection, so
 *   setting them at run time takes effect (measured on tree (a): no-change collect 183 MB → 97 MB
 *   peak RSS; see BENCHMARKS.md).
 * - Two malloc arenas (`mallopt(M_ARENA_MAX, 2)`, as MALLOC_ARENA_MAX=2) instead of up to eight
 *   per core: the hashing threads (libuv's pool, started on first use) each got one.
 *
 * SYSCHANGEMON_NODE_DEFAULTS=1 leaves V8 and malloc as they are (for comparing).
 */
import { setFlagsFromString } from 'node:v8';
import { native } from './fsnative.js';

export const RUNTIME_V8_FLAGS = ['--max-semi-space-size=2', '--semi-space-growth-factor=1', '--heap-growing-percent=20'];

function apply(): string[] {
  if (process.env.SYSCHANGEMON_NODE_DEFAULTS === '1') return [];
  for (const f of RUNTIME_V8_FLAGS) setFlagsFromString(f);
  native.mallocArenas(2);
  return [...RUNTIME_V8_FLAGS, 'M_ARENA_MAX=2'];
}

/** What was applied (empty with SYSCHANGEMON_NODE_DEFAULTS=1), for the debug log. */
export const memorySettings: readonly string[] = apply();
