/**
 * Table-driven cases of the sudoers parser: testdata/<case>/input (a sudoers file) → expected
 * (JSON): each user specification normalised as the collector stores it (aliases expanded,
 * runas and tags carried over), the Defaults lines, the includes and the problems by line.
 */
import { fileURLToPath } from 'node:url';
import { tableCases } from '../common/test-cases.js';
import { expand, parseSudoers, ruleText } from './parse.js';

tableCases('sudoers parse', fileURLToPath(new URL('./testdata/', import.meta.url)), (input) => {
  const p = parseSudoers(input.toString('utf8'));
  return {
    rules: p.entries.flatMap((e) =>
      e.kind === 'rule'
        ? [`${e.line}: ${ruleText({
            ...e,
            users: expand(e.users, 'User_Alias', p.aliases),
            hosts: expand(e.hosts, 'Host_Alias', p.aliases),
            runasUsers: expand(e.runasUsers, 'Runas_Alias', p.aliases),
            commands: expand(e.commands, 'Cmnd_Alias', p.aliases),
          })}`]
        : [],
    ),
    defaults: p.entries.flatMap((e) => (e.kind === 'defaults' ? [`${e.line}: ${e.scope} ${e.settings.join(', ')}`] : [])),
    includes: p.includes,
    problems: p.problems,
  };
});
