/** Severity of sudo rule changes (README "Severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { valueOf } from '../common/severity.js';

/** Commands that hand out a shell (or a file editor as root). */
const SHELLS = /(?:^|[\s,/])(?:sh|bash|dash|zsh|ksh|csh|tcsh|fish|su|sudo|vi|vim|nvim|nano|emacs|ed|less|more|env|python[0-9.]*|perl|ruby|find|awk|sudoedit)(?:$|[\s,])/;

export function sudoersSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const kind = valueOf(c, 'kind') ?? (/\/Defaults/.test(c.key) ? 'defaults' : 'rule');
  if (kind === 'defaults') {
    const settings = String(valueOf(c, 'settings') ?? '');
    if (c.change !== 'removed' && /!authenticate|env_keep[^,]*LD_|!use_pty|!requiretty|env_reset\s*=\s*false|!env_reset/.test(settings)) {
      return { level: 'high', reason: `sudo Defaults ${settings}` };
    }
    return undefined;
  }
  if (c.change === 'removed') return { level: 'info', reason: 'sudo rule removed' };
  if (c.change !== 'added') return undefined;
  const who = valueOf(c, 'users') ?? '?';
  const asRoot = valueOf(c, 'as_root') === true;
  const commands = String(valueOf(c, 'commands') ?? '');
  if (asRoot && (valueOf(c, 'all_commands') === true || SHELLS.test(commands))) return { level: 'critical', reason: `${who} may run ${valueOf(c, 'all_commands') === true ? 'any command' : 'a shell or editor'} as root` };
  if (asRoot && valueOf(c, 'nopasswd') === true) return { level: 'critical', reason: `${who} may run commands as root without a password` };
  return { level: 'high', reason: `new sudo rule for ${who}` };
}
