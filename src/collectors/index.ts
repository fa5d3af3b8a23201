/**
 * The one registry of collectors. Order matters only through each collector's `after`.
 */
import type { Collector } from '../types.js';
import { fileCollector } from './file/index.js';
import { conffileCollector } from './conffile/index.js';
import { commandCollector } from './command/index.js';
import { sysinfoCollector } from './sysinfo/index.js';
import { wtmpCollector } from './wtmp/index.js';
import { packagesCollector } from './packages/index.js';
import { scapCollector } from './scap/index.js';
import { usersCollector } from './users/index.js';
import { groupsCollector } from './groups/index.js';
import { scaCollector } from './sca/index.js';
import { portsCollector } from './ports/index.js';
import { sshKeysCollector } from './ssh_keys/index.js';
import { sudoersCollector } from './sudoers/index.js';
import { mysqlUsersCollector } from './mysql_users/index.js';
import { openvpnUsersCollector } from './openvpn_users/index.js';
import { portscanCollector } from './portscan/index.js';
// collectors: add new imports above this line

export const COLLECTORS: readonly Collector[] = [
  fileCollector,
  conffileCollector,
  commandCollector,
  sysinfoCollector,
  wtmpCollector,
  packagesCollector,
  scapCollector,
  usersCollector,
  groupsCollector,
  scaCollector,
  portsCollector,
  sshKeysCollector,
  sudoersCollector,
  mysqlUsersCollector,
  openvpnUsersCollector,
  portscanCollector,
  // registry: add new collectors above this line
];
