/**
 * Where the program's own files are: the repository (or /usr/lib/syschangemon, where the
 * Debian package installs it) holds dist/, templates/ and etc/ side by side.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The program's root directory (two levels up from dist/core/ or src/core/). */
export const APP_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The bundled templates: /usr/share/syschangemon/templates when installed, else templates/. */
export function bundledTemplateDir(): string {
  const shared = '/usr/share/syschangemon/templates';
  const local = fileURLToPath(new URL('../../templates/', import.meta.url));
  if (fs.existsSync(local)) return local;
  return shared;
}

let cachedVersion: string | undefined;
export function programVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}
