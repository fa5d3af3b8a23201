/**
 * Option schemas of the sections of the main configuration file (the Python tool's
 * `syschangemon.conf`). Collector sections are declared by the collectors themselves.
 */
import { Cron } from 'croner';
import { sdIdError } from '../log/syslog.js';
import type { OptionSchema } from '../types.js';
import { checkSeverityRule } from '../core/severity.js';

/** Why a cron expression is not one, or undefined. */
function cronError(expr: string): string | undefined {
  if (!expr.trim()) return undefined;
  try {
    new Cron(expr, { paused: true });
    return undefined;
  } catch (err) {
    return `expected a cron expression such as 0 3 * * 0 (${(err as Error).message})`;
  }
}

export const MAIN_SECTION = 'syschangemon';

export const CORE_SECTIONS: Record<string, OptionSchema> = {
  syschangemon: {
    debug: { type: 'bool', default: false, description: 'Debug output, as --debug.' },
    plugin_dir: { type: 'string', default: '', description: 'Accepted for compatibility; external plugins are not loaded.' },
    plugin_config_dir: { type: 'string', default: 'plugins.d', description: 'Directory of the collectors\' config files, relative to this file.' },
    template_dir: { type: 'string', default: '', description: 'Directory whose templates override the bundled ones by name.' },
    session_keep: { type: 'int', default: 24, description: 'Sessions kept by cleanup (at least 1; diff needs 2).', check: (v) => ((v as number) >= 1 ? undefined : 'expected a number of at least 1') },
    report_keep: { type: 'int', default: 24, description: 'Reports kept by cleanup (at least 1).', check: (v) => ((v as number) >= 1 ? undefined : 'expected a number of at least 1') },
    mail_handler: { type: 'string', default: 'smtp', choices: ['smtp', 'sendmail'], description: 'How reports are mailed.' },
    max_changes: { type: 'int', default: 500, description: 'Changes shown in full in a mailed report; the rest are counted.' },
    max_diff_lines: { type: 'int', default: 40, description: 'Lines of an added or removed text shown in text and HTML reports; the rest are counted (0: all).', check: (v) => ((v as number) >= 0 ? undefined : 'expected a number of at least 0') },
    hostname: { type: 'string', default: '', description: 'Name of this host in reports (default: the system\'s).' },
    baseline: { type: 'string', default: 'previous', choices: ['previous', 'accepted'], description: 'What reports compare against: the previous session, or the accepted state of each key (a change stays in every report until accepted).' },
    mail_only_new: { type: 'bool', default: false, description: 'With baseline = accepted: mail a report only when something changed in its session, not for changes already reported and still unaccepted.' },
    signing_key: { type: 'string', default: '', description: 'Ed25519 private key file (from syschangemon keygen) that signs each session digest; empty: unsigned.' },
  },
  storage: {
    enable_plugin: { type: 'bool', default: true, description: 'Accepted for compatibility (storage is always on).' },
    dir: { type: 'string', default: '/var/lib/syschangemon/storage', description: 'Directory of db.sqlite (mode 0700).', check: (v) => (v === '' ? 'expected a directory, got an empty value' : undefined) },
  },
  'mail.smtp': {
    to_addr: { type: 'string', default: '', description: 'Recipients, comma separated.' },
    cc: { type: 'string', default: '', description: 'Cc recipients, comma separated.' },
    bcc: { type: 'string', default: '', description: 'Bcc recipients, comma separated.' },
    from: { type: 'string', default: '', description: 'Sender address (default: syschangemon@<hostname>).' },
    subject: { type: 'string', default: '', description: 'Subject: a template with {{ hostname }} and report fields such as {{ summary.changed }}; empty: templates/subject.txt.njk.' },
    subject_prefix: { type: 'string', default: '', description: 'Prefix prepended to the subject.' },
    min_severity: { type: 'string', default: '', choices: ['', 'critical', 'high', 'medium', 'low', 'info'], description: 'Mail only changes of this severity or higher, and no mail when none reaches it (as email-report --min-severity); empty: every change.' },
    host: { type: 'string', default: 'localhost', description: 'SMTP server.' },
    port: { type: 'int', default: 25, description: 'SMTP port.', check: (v) => ((v as number) >= 1 && (v as number) <= 65535 ? undefined : 'expected a port from 1 to 65535') },
    timeout: { type: 'duration', default: 30, description: 'SMTP timeout.' },
    ssl: { type: 'bool', default: false, description: 'Implicit TLS (usually port 465).' },
    tls: { type: 'bool', default: false, description: 'Require STARTTLS.' },
    tls_verify: { type: 'bool', default: true, description: 'Verify the server certificate.' },
    auth: { type: 'bool', default: false, description: 'Authenticate with username and password.' },
    username: { type: 'string', default: '', description: 'SMTP user.' },
    password: { type: 'string', default: '', description: 'SMTP password (keep this file mode 0600).' },
    sendmail_path: { type: 'string', default: '/usr/sbin/sendmail', description: 'sendmail binary for mail_handler = sendmail.' },
  },
  'log.logging': {
    file: { type: 'string', default: 'none', description: 'Log file, or none.' },
    level: { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'warning', 'error', 'fatal'], description: 'Lowest level logged.' },
    to_console: { type: 'bool', default: true, description: 'Log warnings and errors to stderr.' },
    rotate: { type: 'bool', default: false, description: 'Rotate the log file at max_bytes.' },
    max_bytes: { type: 'size', default: 512000, description: 'Size at which the log file is rotated.' },
    max_files: { type: 'int', default: 4, description: 'Rotated log files kept.' },
  },
  'log.syslog': {
    enabled: { type: 'bool', default: false, description: 'Send a run summary to syslog.' },
    facility: { type: 'string', default: 'daemon', choices: ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], description: 'Syslog facility.' },
    tag: { type: 'string', default: 'syschangemon', description: 'Syslog tag (APP-NAME).' },
    per_change: { type: 'bool', default: false, description: 'Also one line per change.' },
    method: { type: 'string', default: 'auto', choices: ['auto', 'logger', 'stderr'], description: 'logger(1), or stderr with <N> prefixes (systemd); auto picks stderr under systemd.' },
    server: { type: 'string', default: '', description: 'Send to this host:port with logger --server instead of /dev/log.' },
    protocol: { type: 'string', default: 'udp', choices: ['udp', 'tcp'], description: 'Protocol for server.' },
    sd_id: {
      type: 'string', default: 'syschangemon@32473',
      description: 'SD-ID of the RFC 5424 structured data on each line: name@<your IANA enterprise number>; 32473 is the number set aside for examples.',
      check: (v) => sdIdError(String(v)),
    },
  },
  patchmon: {
    server: { type: 'string', default: '', description: 'PatchMon server URL (https://patchmon.example.org); empty: nothing is sent.' },
    api_id: { type: 'string', default: '', description: "This host's PatchMon API id (X-API-ID)." },
    api_key_file: { type: 'string', default: '', description: "File holding this host's PatchMon API key (X-API-KEY); mode 0600, owned by root." },
    ca_file: { type: 'string', default: '', description: 'CA certificate(s) to verify the server with instead of the system ones.' },
    timeout: { type: 'duration', default: 30, description: 'Seconds to wait for the server.' },
    schedule: {
      type: 'string', default: '', prefix: true,
      description: "Cron expression (PatchMon's default is 0 3 * * 0) at which the latest results are sent again even without a new scan; schedule.openscap, schedule.docker-bench and schedule.sca set it per scanner. Empty: results are sent when a scan produced them.",
      check: (v) => cronError(String(v)),
    },
  },
  severity: {
    rule: {
      type: 'string', prefix: true,
      description: 'rule.NAME = LEVEL KEY_GLOB [CONDITION ...]: changes of matching keys get LEVEL (critical, high, medium, low, info); conditions: change=added|removed|changed, ATTR (it changed), ATTR=VALUE or ATTR!=VALUE (its new value, a glob). The first matching rule in file order wins over the built-in rules.',
      check: (v) => checkSeverityRule(v),
    },
  },
  'output.ecs': {
    file: { type: 'string', default: '', description: 'Append each report\'s changes to this file as Elastic Common Schema events, one JSON line each (for Filebeat, Fluent Bit, Vector); empty: none.' },
  },
};
