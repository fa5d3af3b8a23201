/**
 * The `groups` collector: one item per group of /etc/group (`groups://<name>`): gid, members
 * (as a sorted set, so reordering is no change), the accounts whose primary group it is, and
 * from gshadow (root only) the group administrators and whether the group has a password. The
 * report hook shows changed member lists as set differences ("sudo: +bob").
 */
import { readFileSync } from 'node:fs';
import type { Attributes, CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { decodePath, encodePath, fileKey, splitKey } from '../../keys.js';
import { type GshadowEntry, parseGroup, parseGshadow, primaryMembers, setDelta } from './parse.js';
import { GROUPS_ITEMS } from './items.js';
import { absolutePath } from '../common/index.js';
import { groupsSeverity } from './severity.js';

export const GROUPS_OPTIONS: OptionSchema = {
  group_path: { type: 'string', default: '/etc/group', description: 'The group file.', check: absolutePath },
  gshadow_path: { type: 'string', default: '/etc/gshadow', description: 'The gshadow file (administrators, group password state; never a hash). Unreadable: a note.', check: absolutePath },
  passwd_path: { type: 'string', default: '/etc/passwd', description: 'The passwd file, for the accounts whose primary group each group is.', check: absolutePath },
};

export interface GroupsOptions {
  groupPath: string;
  gshadowPath: string;
  passwdPath: string;
}

export function groupsOptions(o: Options): GroupsOptions {
  return {
    groupPath: typeof o.group_path === 'string' ? o.group_path : '/etc/group',
    gshadowPath: typeof o.gshadow_path === 'string' ? o.gshadow_path : '/etc/gshadow',
    passwdPath: typeof o.passwd_path === 'string' ? o.passwd_path : '/etc/passwd',
  };
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'does not exist';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

export function groupKey(name: string): string {
  return `groups://${encodePath(name)}`;
}

/** Attributes whose values are comma-joined name sets. */
const SET_ATTRIBUTES = ['members', 'primary_members', 'admins', 'gshadow_members'];

/** The collector's `collect`. */
export function collectGroups(ctx: CollectContext, o: GroupsOptions): void {
  let groupText: string;
  try {
    groupText = readFileSync(o.groupPath, 'utf8');
  } catch (err) {
    ctx.error(fileKey(o.groupPath, 'groups'), `${o.groupPath}: ${errText(err)}`);
    return;
  }
  const groups = parseGroup(groupText);
  for (const p of groups.problems) ctx.note(`groups: ${o.groupPath}:${p.line}: ${p.message}; line skipped`);

  let gshadow: Map<string, GshadowEntry> | undefined;
  try {
    const parsed = parseGshadow(readFileSync(o.gshadowPath, 'utf8'));
    for (const p of parsed.problems) ctx.note(`groups: ${o.gshadowPath}:${p.line}: ${p.message}; line skipped`);
    gshadow = new Map();
    for (const e of parsed.entries) if (!gshadow.has(e.name)) gshadow.set(e.name, e);
  } catch (err) {
    ctx.note(`groups: ${o.gshadowPath}: ${errText(err)}; group administrators and passwords not recorded`);
  }

  let primary = new Map<number, string[]>();
  try {
    primary = primaryMembers(readFileSync(o.passwdPath, 'utf8'));
  } catch (err) {
    ctx.note(`groups: ${o.passwdPath}: ${errText(err)}; primary members not recorded`);
  }

  const seen = new Set<string>();
  for (const g of groups.entries) {
    if (seen.has(g.name)) {
      ctx.note(`groups: ${o.groupPath}:${g.line}: second entry for ${g.name} ignored (the system uses the first)`);
      continue;
    }
    seen.add(g.name);
    const attributes: Attributes = {
      gid: g.gid,
      members: g.members.join(','),
      primary_members: (primary.get(g.gid) ?? []).join(','),
    };
    const s = gshadow?.get(g.name);
    if (g.password !== 'shadow') attributes.password = g.password;
    else if (gshadow) attributes.password = s ? s.password : 'none';
    if (gshadow) attributes.admins = s ? s.admins.join(',') : '';
    if (s && s.members.join(',') !== g.members.join(',')) attributes.gshadow_members = s.members.join(',');
    ctx.add({ key: groupKey(g.name), attributes });
  }
}

export const groupsCollector: Collector = {
  name: 'groups',
  description: 'Groups from /etc/group and gshadow: gid, members (diffed as sets), primary members, administrators.',
  options: GROUPS_OPTIONS,
  items: GROUPS_ITEMS,
  severity: groupsSeverity,
  async collect(ctx, options) {
    collectGroups(ctx, groupsOptions(options));
  },
  reportHooks() {
    return {
      change(c) {
        if (c.plugin !== 'groups' || c.change !== 'changed') return;
        const name = decodePath(splitKey(c.key).rest).toString('utf8');
        const parts: string[] = [];
        for (const attr of SET_ATTRIBUTES) {
          const a = c.attributes[attr];
          if (!a) continue;
          const delta = setDelta(a.old as string | null, a.new as string | null);
          if (delta) parts.push(attr === 'members' ? `${name}: ${delta}` : `${name} ${attr.replace('_', ' ')}: ${delta}`);
        }
        if (parts.length) c.note = parts.join('; ');
      },
    };
  },
};
