/**
 * End-to-end helpers: a temporary tree, config directory and database, and the built CLI run
 * as a user runs it.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = path.join(ROOT, 'dist', 'cli.js');
/** The shared fixtures, beside the repository. */
export const SHARED = path.join(ROOT, '..', 'shared');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  tree: string;
  etc: string;
  storage: string;
  run(...args: string[]): RunResult;
  /** Like run, without blocking this process's event loop (for servers running in the test). */
  runAsync(...args: string[]): Promise<RunResult>;
  json<T = any>(...args: string[]): T;
  writePlugin(name: string, text: string): void;
  cleanup(): void;
}

/**
 * A sandbox with `tree/` (watched), `etc/` (config: syschangemon.conf + plugins.d/) and
 * `storage/`. `plugins` maps plugin names to their config text; by default file + conffile
 * watch the tree.
 */
export function sandbox(plugins?: Record<string, string>, main = ''): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-e2e-'));
  const tree = path.join(dir, 'tree');
  const etc = path.join(dir, 'etc');
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(tree);
  fs.mkdirSync(path.join(etc, 'plugins.d'), { recursive: true });
  fs.writeFileSync(
    path.join(etc, 'syschangemon.conf'),
    `[syschangemon]\nsession_keep = 5\nreport_keep = 5\n${main}\n[storage]\ndir = ${storage}\n`,
  );
  const defaults: Record<string, string> = plugins ?? {
    file: `[file]\nenable_plugin = true\ninclude =\n  ${tree}/**\nexclude =\n  **.bak\nassume_nochange = mtime, ctime, size\n`,
    conffile: `[conffile]\nenable_plugin = true\nsize_limit = 100000\nexclude =\n  **.secret\n`,
  };
  for (const [name, text] of Object.entries(defaults)) fs.writeFileSync(path.join(etc, 'plugins.d', `${name}.conf`), text);
  const run = (...args: string[]): RunResult => {
    const res = spawnSync(process.execPath, [CLI, '-c', path.join(etc, 'syschangemon.conf'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, SYSCHANGEMON_CONFIG: '' },
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
  };
  const runAsync = (...args: string[]): Promise<RunResult> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, '-c', path.join(etc, 'syschangemon.conf'), ...args], {
        env: { ...process.env, SYSCHANGEMON_CONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  return {
    dir,
    tree,
    etc,
    storage,
    run,
    runAsync,
    json(...args: string[]) {
      const r = run(...args);
      if (r.code !== 0) throw new Error(`syschangemon ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    writePlugin(name: string, text: string) {
      fs.writeFileSync(path.join(etc, 'plugins.d', `${name}.conf`), text);
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
