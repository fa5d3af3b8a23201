/**
 * The one registry of commands, in the order `--help` lists them.
 */
import { cleanupCommand } from './cleanup.js';
import { collectCommand } from './collect.js';
import type { CommandSpec } from './command.js';
import { diffCommand } from './diff.js';
import { emailReportCommand } from './email-report.js';
import { exportCommand } from './export.js';
import { listReportsCommand } from './list-reports.js';
import { listSessionsCommand } from './list-sessions.js';
import { printReportCommand } from './print-report.js';
import { resetCommand } from './reset.js';
import { runCommand } from './run.js';
import { capabilitiesCommand } from './capabilities.js';
import { submitCommand } from './submit.js';
import { acceptCommand } from './accept.js';
import { keygenCommand } from './keygen.js';
import { listAcceptsCommand } from './list-accepts.js';
import { verifyCommand } from './verify.js';
import { gatherCommand } from './gather.js';
import { watchCommand } from './watch.js';
// commands: add new imports above this line

export const COMMANDS: readonly CommandSpec[] = [
  cleanupCommand,
  collectCommand,
  diffCommand,
  emailReportCommand,
  exportCommand,
  listReportsCommand,
  listSessionsCommand,
  printReportCommand,
  resetCommand,
  runCommand,
  capabilitiesCommand,
  submitCommand,
  acceptCommand,
  listAcceptsCommand,
  keygenCommand,
  verifyCommand,
  gatherCommand,
  watchCommand,
  // registry: add new commands above this line
];
