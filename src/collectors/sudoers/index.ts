/**
 * The `sudoers` collector: the effective rules of /etc/sudoers and the files it includes
 * (`@include`, `@includedir`, and the `#` forms), one item per normalised rule
 * (`sudoers://<file>/<rule>`): who may run which commands as whom on which hosts, with which
 * tags, simple aliases expanded; and one item per Defaults line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Attributes, CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { encodePath, fileKey } from '../../keys.js';
import { absolutePath, optionValues, readFailure } from '../common/index.js';
import { expand, parseSudoers, ruleText } from './parse.js';
import { SUDOERS_ITEMS } from './items.js';
import { sudoersSeverity } from './severity.js';
import { sudoRulesExport } from './export.js';

export const SUDOERS_OPTIONS: OptionSchema = {
  sudoers_path: { type: 'string', default: '/etc/sudoers', description: 'The main sudoers file; the files it includes are read too.', check: absolutePath },
};

const joined = (l: readonly string[]) => l.join(', ');

/** The collector's `collect`. */
export function collectSudoers(ctx: CollectContext, o: { sudoersPath: string }): void {
  const files: { path: string; text: string }[] = [];
  const seen = new Set<string>();
  const read = (path: string, depth: number, from?: string): void => {
    if (seen.has(path)) return;
    if (depth > 8) {
      ctx.note(`sudoers: ${from}: includes nested deeper than 8; ${path} not read`);
      return;
    }
    seen.add(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (depth === 0 && (err as NodeJS.ErrnoException).code === 'ENOENT') ctx.note(`sudoers: ${path} does not exist`);
      else ctx.error(fileKey(path, 'sudoers'), `${path}: ${readFailure(err)}`);
      return;
    }
    files.push({ path, text });
    for (const inc of parseSudoers(text).includes) {
      const target = resolve(dirname(path), inc.path);
      if (inc.kind === 'include') read(target, depth + 1, `${path}:${inc.line}`);
      else {
        let names: string[];
        try {
          names = readdirSync(target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.note(`sudoers: ${path}:${inc.line}: ${target}: ${readFailure(err)}`);
          continue;
        }
        // sudo skips names ending in ~ or holding a dot (editor backups, package leftovers).
        for (const n of names.filter((x) => !x.endsWith('~') && !x.includes('.')).sort()) read(`${target}/${n}`, depth + 1, `${path}:${inc.line}`);
      }
    }
  };
  read(o.sudoersPath, 0);

  // Aliases are global to the whole policy, whichever file defines them.
  const parsed = files.map((f) => ({ ...f, p: parseSudoers(f.text) }));
  const aliases = new Map(parsed.flatMap((f) => [...f.p.aliases]));
  const keys = new Set<string>();
  for (const { path, p } of parsed) {
    for (const pr of p.problems) ctx.note(`sudoers: ${path}:${pr.line}: ${pr.message}; line skipped`);
    for (const e of p.entries) {
      let text: string;
      let attributes: Attributes;
      if (e.kind === 'defaults') {
        text = `${e.scope} ${joined(e.settings)}`;
        attributes = { kind: 'defaults', scope: e.scope, settings: joined(e.settings), file: path };
      } else {
        const r = {
          users: expand(e.users, 'User_Alias', aliases),
          hosts: expand(e.hosts, 'Host_Alias', aliases),
          runasUsers: expand(e.runasUsers, 'Runas_Alias', aliases),
          runasGroups: expand(e.runasGroups, 'Runas_Alias', aliases),
          tags: e.tags,
          commands: expand(e.commands, 'Cmnd_Alias', aliases),
        };
        text = ruleText(r);
        attributes = {
          kind: 'rule',
          users: joined(r.users),
          hosts: joined(r.hosts),
          runas_users: joined(r.runasUsers),
          runas_groups: joined(r.runasGroups),
          tags: joined(r.tags),
          commands: joined(r.commands),
          nopasswd: r.tags.includes('NOPASSWD'),
          all_commands: r.commands.includes('ALL'),
          as_root: r.runasUsers.some((u) => u === 'ALL' || u === 'root' || u === '#0'),
          file: path,
        };
      }
      const key = `sudoers://${encodePath(path)}/${encodePath(text)}`;
      if (keys.has(key)) continue;
      keys.add(key);
      ctx.add({ key, attributes });
    }
  }
}

export const sudoersCollector: Collector = {
  name: 'sudoers',
  description: 'Effective sudo rules from /etc/sudoers and its includes, normalised (who may run what as whom), and Defaults lines.',
  options: SUDOERS_OPTIONS,
  items: SUDOERS_ITEMS,
  severity: sudoersSeverity,
  exports: { 'sudo-rules': sudoRulesExport },
  async collect(ctx, options: Options) {
    collectSudoers(ctx, { sudoersPath: optionValues(SUDOERS_OPTIONS, options).string('sudoers_path') });
  },
};
