import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import type { Collector, OptionSpec } from '../types.js';
import { BUNDLED_CONFIG_FILE, loadConfig, parseOptionValue, resolveConfigPath, type LoadOptions } from './config.js';
import { CORE_SECTIONS } from './sections.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON_TOOL = join(REPO, 'test/fixtures/config/python-tool');
const NO_SYSTEM_FILE = '/nonexistent/syschangemon.conf';

/** Stand-ins for the registered collectors, with the option schemas the real ones declare. */
const fake = (name: string, options: Collector['options']): Collector => ({
  name,
  description: `fake ${name}`,
  options,
  items: [],
  collect: async () => {},
});
const COLLECTORS: Collector[] = [
  fake('file', {
    include: { type: 'list', default: [], description: 'globs' },
    exclude: { type: 'list', default: [], description: 'globs' },
    assume_nochange: { type: 'list', separator: 'commas', default: [], description: 'attributes' },
    assume_change: { type: 'list', default: [], description: 'globs' },
  }),
  fake('conffile', {
    size_limit: { type: 'size', default: 100000, description: 'bytes' },
    exclude: { type: 'list', default: [], description: 'globs' },
  }),
  fake('command', {
    command: { type: 'string', prefix: true, description: 'command.<name> = command line' },
    timeout: { type: 'duration', default: 60, description: 'per command' },
  }),
  fake('sysinfo', {}),
  fake('wtmp', { wtmp_path: { type: 'string', default: '/var/log/wtmp', description: 'wtmp file' } }),
];

const tmpRoot = mkdtempSync(join(tmpdir(), 'syschangemon-config-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let treeCount = 0;

/** A config tree in a fresh temp dir: path → text. Returns the directory. */
function tree(files: Record<string, string>, base?: string): string {
  const dir = join(tmpRoot, `t${treeCount++}`);
  if (base) cpSync(base, dir, { recursive: true });
  mkdirSync(join(dir, 'plugins.d'), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text, { mode: 0o600 });
  }
  return dir;
}

function load(file: string, extra: Partial<LoadOptions> = {}) {
  return loadConfig({ file, collectors: COLLECTORS, env: {}, systemFile: NO_SYSTEM_FILE, ...extra });
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

const MAIN = '[syschangemon]\nsession_keep = 3\n';

test('the Python tool\'s syschangemon.conf and plugins.d load unchanged', () => {
  const config = load(PYTHON_TOOL);
  assert.equal(config.file, join(PYTHON_TOOL, 'syschangemon.conf'));
  assert.equal(config.dir, PYTHON_TOOL);
  assert.equal(config.bundled, false);
  assert.deepEqual(config.sections.syschangemon, {
    debug: false,
    plugin_dir: '',
    plugin_config_dir: 'plugins.d',
    template_dir: '',
    session_keep: 2,
    report_keep: 1,
    mail_handler: 'smtp',
    max_changes: 500,
    max_diff_lines: 40,
    hostname: '',
    signing_key: '',
    baseline: 'previous',
    mail_only_new: false,
  });
  const smtp = config.sections['mail.smtp']!;
  assert.equal(smtp.to_addr, 'mcree@tricon.hu');
  assert.equal(smtp.from, 'someone_else@example.com');
  assert.equal(smtp.subject, 'SysChangeMon Report');
  assert.equal(smtp.subject_prefix, 'SysChangeMon >');
  assert.equal(smtp.port, 25);
  assert.equal(smtp.timeout, 30);
  assert.equal(smtp.ssl, false);
  assert.equal(smtp.tls, false);
  assert.equal(smtp.auth, false);
  assert.equal(smtp.password, '');
  assert.deepEqual(config.sections['log.logging'], {
    file: 'none',
    level: 'info',
    to_console: true,
    rotate: false,
    max_bytes: 512000,
    max_files: 4,
  });
  assert.equal(config.sections['log.syslog']!.enabled, false);
  assert.equal(config.storageDir, '/var/tmp/SysChangeMon/storage');
  assert.equal(config.dbPath, '/var/tmp/SysChangeMon/storage/db.sqlite');
  assert.equal(config.templateDir, undefined);
  assert.deepEqual(config.exposedSecrets, []);

  assert.deepEqual([...config.plugins.keys()], ['file', 'conffile', 'command', 'sysinfo', 'wtmp']);
  const { where, ...filePlugin } = config.plugins.get('file')!;
  assert.deepEqual(where?.include, { file: join(PYTHON_TOOL, 'plugins.d/file.conf'), line: where?.include?.line });
  assert.deepEqual(filePlugin, {
    name: 'file',
    file: join(PYTHON_TOOL, 'plugins.d/file.conf'),
    enabled: true,
    options: {
      include: ['/etc/*'],
      exclude: ['/etc/mtab', '/etc/ld.so.cache', '/etc/printcap', '**.bak', '**~'],
      assume_nochange: [],
      assume_change: [],
    },
  });
  assert.deepEqual(config.plugins.get('conffile')!.options, { size_limit: 100000, exclude: ['/etc/shadow', '**.secret'] });
  assert.deepEqual(config.plugins.get('command')!.options, {
    timeout: 60,
    'command.ip_route': '/sbin/ip route',
    'command.ip_addr': '/sbin/ip addr',
    'command.iptables_nat': '/sbin/iptables -L -t nat',
  });
  const { where: _sysinfoWhere, ...sysinfo } = config.plugins.get('sysinfo')!;
  assert.deepEqual(sysinfo, { name: 'sysinfo', file: join(PYTHON_TOOL, 'plugins.d/sysinfo.conf'), enabled: true, options: {} });
  assert.deepEqual(config.plugins.get('wtmp')!.options, { wtmp_path: '/var/log/wtmp' });
});

test('a collector without a section is disabled; enable_plugin = false disables one that has it', () => {
  const dir = tree({
    'syschangemon.conf': MAIN,
    'plugins.d/file.conf': '[file]\nenable_plugin = no\ninclude = /srv/*\n',
    'plugins.d/wtmp.conf': '[wtmp]\nwtmp_path = /srv/wtmp\n',
  });
  const config = load(dir);
  assert.equal(config.plugins.get('file')!.enabled, false);
  assert.equal(config.plugins.get('wtmp')!.enabled, false, 'a plugin file without enable_plugin does not enable');
  assert.equal(config.plugins.get('wtmp')!.options.wtmp_path, '/var/log/wtmp', 'and its keys are ignored');
  assert.deepEqual(config.warnings, [
    `${dir}/plugins.d/wtmp.conf:1: [wtmp] has no enable_plugin, so this file is ignored (as in the Python tool); add 'enable_plugin = true' to use it`,
  ]);
  for (const name of ['conffile', 'command', 'sysinfo']) {
    const plugin = config.plugins.get(name)!;
    assert.equal(plugin.enabled, false, name);
    assert.equal(plugin.file, undefined, name);
  }
  assert.deepEqual(config.plugins.get('conffile')!.options, { size_limit: 100000, exclude: [] }, 'defaults of a disabled collector');
  assert.equal(config.storageDir, '/var/lib/syschangemon/storage', 'the default storage dir');
});

test('lists: lines with comments inside, commas and lines; prefix keys keep their full name', () => {
  const dir = tree({
    'syschangemon.conf': MAIN,
    'plugins.d/file.conf': [
      '[file]',
      'enable_plugin = true',
      'include =',
      '  /etc/*',
      '  # /opt/**',
      '',
      '  ; /srv/**',
      '  /usr/local/etc/**',
      'assume_nochange = mtime, ctime',
      '   inode,,',
      'assume_change =',
      '',
    ].join('\n'),
    'plugins.d/command.conf': '[command]\nenable_plugin = 1\ncommand.ip_route = /sbin/ip route\nCommand.Uname: uname -a\ncommand.disk usage = df -h\ntimeout = 1m30s\n',
  });
  const config = load(dir);
  assert.deepEqual(config.plugins.get('file')!.options, {
    include: ['/etc/*', '/usr/local/etc/**'],
    exclude: [],
    assume_nochange: ['mtime', 'ctime', 'inode'],
    assume_change: [],
  });
  assert.deepEqual(config.plugins.get('command')!.options, {
    timeout: 90,
    'command.ip_route': '/sbin/ip route',
    'command.uname': 'uname -a',
    'command.disk usage': 'df -h',
  });
});

test('the main file wins over plugins.d; among plugin files the later wins; only the first section counts', () => {
  const dir = tree({
    'syschangemon.conf': `${MAIN}template_dir = templates\n[wtmp]\nwtmp_path = /tmp/wtmp\n[conffile]\nsize_limit = 7\n[storage]\ndir = /srv/main-storage\n`,
    'templates/.keep': '',
    'plugins.d/b.conf': '[storage]\nenable_plugin = true\ndir = state\n',
    'plugins.d/a.conf': '[storage]\nenable_plugin = true\ndir = /srv/from-a\n',
    'plugins.d/c.conf': '[conffile]\nenable_plugin = true\nsize_limit = 5\nexclude = /srv/x\n[file]\ninclude = /srv/**\n',
    'plugins.d/d.conf': '[command]\nenable_plugin = true\ntimeout = 5\n',
    'plugins.d/e.conf': '[command]\nenable_plugin = true\ntimeout = 7\n',
    'plugins.d/zz-local.conf': '[command]\ntimeout = 9\n',
    'plugins.d/not-a-config.txt': 'this is not read',
    'plugins.d/dir.conf/x': 'a directory named *.conf is not read',
  });
  const config = load(join(dir, 'syschangemon.conf'));
  assert.equal(config.storageDir, '/srv/main-storage', 'the main file wins');
  assert.equal(config.templateDir, join(dir, 'templates'));
  assert.equal(config.plugins.get('wtmp')!.enabled, false, 'a main-file section without enable_plugin does not enable');
  const conffile = config.plugins.get('conffile')!;
  assert.equal(conffile.enabled, true);
  assert.equal(conffile.file, join(dir, 'plugins.d/c.conf'));
  assert.equal(conffile.options.size_limit, 7, 'the main file wins');
  assert.deepEqual(conffile.options.exclude, ['/srv/x'], 'keys the main file does not set come from the plugin file');
  assert.equal(config.plugins.get('file')!.enabled, false, 'a second section does not count');
  assert.equal(config.plugins.get('command')!.options.timeout, 7, 'the later plugin file wins; zz-local.conf is ignored');
  assert.equal(config.sections.syschangemon!.session_keep, 3);
  assert.deepEqual(config.warnings, [
    `${dir}/plugins.d/c.conf:5: [file] is ignored: only the first section of a plugin config counts (as in the Python tool)`,
    `${dir}/plugins.d/zz-local.conf:1: [command] has no enable_plugin, so this file is ignored (as in the Python tool); add 'enable_plugin = true' to use it`,
  ]);
});

test('enable_plugin: only true, True and 1; the main file decides last; [DEFAULT] counts', () => {
  for (const [value, on, warned] of [
    ['true', true, false], ['True', true, false], ['1', true, false], ['false', false, false], ['no', false, false], ['Off', false, false],
    ['yes', false, true], ['on', false, true], ['TRUE', false, true], ['true  # comment', false, true],
  ] as const) {
    const dir = tree({ 'syschangemon.conf': MAIN, 'plugins.d/wtmp.conf': `[wtmp]\nenable_plugin = ${value}\n` });
    const config = load(dir);
    assert.equal(config.plugins.get('wtmp')!.enabled, on, value);
    assert.deepEqual(
      config.warnings,
      warned ? [`${dir}/plugins.d/wtmp.conf:2: [wtmp] enable_plugin = '${value}' reads as false: only true, True or 1 enable a collector (as in the Python tool)`] : [],
      value,
    );
  }
  const dir = tree({
    'syschangemon.conf': `[DEFAULT]\ntimeout = 3\n${MAIN}[wtmp]\nenable_plugin = false\n[sysinfo]\nenable_plugin = true\n`,
    'plugins.d/wtmp.conf': '[wtmp]\nenable_plugin = true\n',
    'plugins.d/command.conf': '[DEFAULT]\nenable_plugin = true\n\n[command]\ntimeout = 8\ncommand.x = true\n',
  });
  const config = load(dir);
  assert.equal(config.plugins.get('wtmp')!.enabled, false, 'the main file overrides plugins.d');
  assert.equal(config.plugins.get('sysinfo')!.enabled, true, 'the main file alone enables');
  assert.equal(config.plugins.get('command')!.enabled, true, 'enable_plugin from the plugin file\'s [DEFAULT]');
  assert.equal(config.plugins.get('command')!.options.timeout, 3, 'the main file\'s [DEFAULT] wins over the plugin file');
  assert.equal(config.sections['mail.smtp']!.timeout, 3, '[DEFAULT] applies to core sections');
  assert.deepEqual(config.warnings, []);
});

test('plugins.d: a core section is not read from there; an unknown enabled collector is an error', () => {
  const dir = tree({ 'syschangemon.conf': MAIN, 'plugins.d/mail.conf': '[mail.smtp]\nhost = relay\n' });
  assert.equal(load(dir).sections['mail.smtp']!.host, 'localhost');
  const core = tree({ 'syschangemon.conf': MAIN, 'plugins.d/mail.conf': '[mail.smtp]\nenable_plugin = true\nhost = relay\n' });
  assert.match(configError(() => load(core)), /plugins\.d\/mail\.conf:2: \[mail\.smtp\] is not a collector and cannot be enabled from plugin_config_dir; move it to /);
  const unknown = tree({ 'syschangemon.conf': MAIN, 'plugins.d/file.conf': '# files\n\n[fiel]\nenable_plugin = true\n' });
  assert.equal(
    configError(() => load(unknown)),
    `${unknown}/plugins.d/file.conf:3: unknown collector [fiel]; expected one of: file, conffile, command, sysinfo, wtmp; did you mean 'file'?`,
  );
  const storage = tree({ 'syschangemon.conf': MAIN, 'plugins.d/storage.conf': '[storage]\ndir = /srv/state\n' });
  assert.equal(load(storage).storageDir, '/srv/state', '[storage] counts without enable_plugin');
  const off = tree({ 'syschangemon.conf': MAIN, 'plugins.d/old.conf': '[oldthing]\nenable_plugin = false\n' });
  assert.deepEqual(load(off).warnings, [], 'a disabled unknown plugin is ignored');
});

test('plugin_config_dir: relative, absolute, and missing', () => {
  const plugins = tree({ 'conf/wtmp.conf': '[wtmp]\nenable_plugin = true\n' });
  const relative = tree({ 'syschangemon.conf': `${MAIN}plugin_config_dir = ../${plugins.split('/').pop()}/conf\n` });
  assert.equal(load(relative).plugins.get('wtmp')!.enabled, true);
  const absolute = tree({ 'syschangemon.conf': `${MAIN}plugin_config_dir = ${plugins}/conf\n` });
  assert.equal(load(absolute).plugins.get('wtmp')!.enabled, true);

  const missing = tree({ 'syschangemon.conf': `${MAIN}\nplugin_config_dir = /nonexistent/plugins.d\n` });
  assert.equal(
    configError(() => load(missing)),
    `${missing}/syschangemon.conf:4: cannot read plugin_config_dir /nonexistent/plugins.d: no such file or directory`,
  );
  const noDefault = tree({ 'syschangemon.conf': MAIN });
  rmSync(join(noDefault, 'plugins.d'), { recursive: true });
  assert.equal(
    configError(() => load(noDefault)),
    `${noDefault}/syschangemon.conf: cannot read plugin_config_dir ${noDefault}/plugins.d: no such file or directory`,
  );
});

test('a missing main config file is an error naming it', () => {
  assert.equal(
    configError(() => load('/nonexistent/dir/syschangemon.conf')),
    'cannot read config file /nonexistent/dir/syschangemon.conf: no such file or directory',
  );
  const dir = tree({});
  assert.equal(
    configError(() => load(dir)),
    `cannot read config file ${dir}/syschangemon.conf: no such file or directory`,
  );
});

test('unknown sections and keys name file:line, the expected names and a near miss', () => {
  const dir = tree({ 'syschangemon.conf': `${MAIN}\n[fiel]\ninclude = /etc\n` });
  assert.equal(
    configError(() => load(dir)),
    `${dir}/syschangemon.conf:4: unknown section [fiel]; expected one of: syschangemon, storage, mail.smtp, log.logging, log.syslog, patchmon, severity, output.ecs, file, conffile, command, sysinfo, wtmp; did you mean 'file'?`,
  );
  const main = tree({ 'syschangemon.conf': '[syschangemon]\n[scap]\n' });
  assert.match(configError(() => load(main)), new RegExp(`^${main}/syschangemon\\.conf:2: unknown section \\[scap\\]; expected one of: [^;]*$`));

  const key = tree({ 'syschangemon.conf': MAIN, 'plugins.d/file.conf': '[file]\nenable_plugin = true\n\nIncludes =\n  /etc/*\n' });
  assert.equal(
    configError(() => load(key)),
    `${key}/plugins.d/file.conf:4: unknown key 'includes' in [file]; expected one of: include, exclude, assume_nochange, assume_change, ignore_attributes, annotations, enable_plugin; did you mean 'include'?`,
  );
  const core = tree({ 'syschangemon.conf': `${MAIN}[mail.smtp]\nrecipients = a@b\n` });
  assert.match(configError(() => load(core)), new RegExp(`^${core}/syschangemon\\.conf:4: unknown key 'recipients' in \\[mail\\.smtp\\]; expected one of: to_addr, cc, .*sendmail_path$`));

  // A prefix option accepts `command.<name>`, not the bare name or an empty suffix.
  for (const bad of ['command = ls', 'command. = ls', 'commands.ls = ls']) {
    const d = tree({ 'syschangemon.conf': MAIN, 'plugins.d/command.conf': `[command]\nenable_plugin = true\n${bad}\n` });
    assert.match(
      configError(() => load(d)),
      new RegExp(`^${d}/plugins\\.d/command\\.conf:3: unknown key '[^']+' in \\[command\\]; expected one of: command\\.<name>, timeout, ignore_attributes, annotations, enable_plugin`),
      bad,
    );
  }
});

test('bad values name file:line, the key and what was expected', () => {
  const cases: Array<[string, string, string]> = [
    ['plugins.d/conffile.conf', '[conffile]\nenable_plugin = true\nsize_limit = lots\n', `:3: bad value for 'size_limit' in [conffile]: expected a size (bytes, or a number with K, M or G, e.g. 100000, 512K, 10MiB), got 'lots'`],
    ['plugins.d/command.conf', '[command]\nenable_plugin = true\ntimeout = soon\n', `:3: bad value for 'timeout' in [command]: expected a duration (seconds, or a number with s, m, h, d or w, e.g. 90s, 15m, 1h30m), got 'soon'`],
    ['syschangemon.conf', '[syschangemon]\nsession_keep = 0\n', `:2: bad value for 'session_keep' in [syschangemon]: expected a number of at least 1`],
    ['syschangemon.conf', '[syschangemon]\nsession_keep = 1__0\n', `:2: bad value for 'session_keep' in [syschangemon]: expected a whole number, got '1__0'`],
    ['syschangemon.conf', '[mail.smtp]\nport = 99999\n', `:2: bad value for 'port' in [mail.smtp]: expected a port from 1 to 65535`],
    ['syschangemon.conf', '[storage]\ndir =\n', `:2: bad value for 'dir' in [storage]: expected a directory, got an empty value`],
    ['syschangemon.conf', '[syschangemon]\ntemplate_dir = /nonexistent/templates\n', `:2: template_dir /nonexistent/templates: no such directory`],
    ['plugins.d/wtmp.conf', '[wtmp]\nenable_plugin = true\nwtmp_path = /var/log/\xff\n', `:3: invalid UTF-8 (config files must be UTF-8 text)`],
    ['syschangemon.conf', '[syschangemon]\nreport_keep = 1.5\n', `:2: bad value for 'report_keep' in [syschangemon]: expected a whole number, got '1.5'`],
    ['syschangemon.conf', '[syschangemon]\nmail_handler = pigeon\n', `:2: bad value for 'mail_handler' in [syschangemon]: expected one of: smtp, sendmail; got 'pigeon'`],
  ];
  for (const [path, text, expected] of cases) {
    const dir = tree({ 'syschangemon.conf': MAIN, [path]: text });
    if (text.includes('\xff')) writeFileSync(join(dir, path), Buffer.from(text, 'latin1'));
    assert.equal(configError(() => load(dir)), `${join(dir, path)}${expected}`);
  }
});

test('INI syntax errors in plugin files carry their file:line', () => {
  const dir = tree({ 'syschangemon.conf': MAIN, 'plugins.d/wtmp.conf': '[wtmp]\nwtmp_path = /a\nwtmp_path = /b\n' });
  assert.equal(configError(() => load(dir)), `${dir}/plugins.d/wtmp.conf:3: duplicate key 'wtmp_path' in [wtmp] (first at line 2)`);
  // The Python tool's parser: a header with trailing text, keys with spaces, int() integers.
  const py = tree({ 'syschangemon.conf': '[syschangemon]  # the main section\nsession_keep =  1_0 \nreport_keep = 1\n' });
  assert.equal(load(py).sections.syschangemon!.session_keep, 10);
  const outside = tree({ 'syschangemon.conf': 'session_keep = 2\n' });
  assert.equal(configError(() => load(outside)), `${outside}/syschangemon.conf:1: expected a [section] header before 'session_keep = 2'`);
});

test('exposedSecrets lists the main file when it holds a non-empty password readable by group or others', () => {
  const dir = tree({ 'syschangemon.conf': `${MAIN}[mail.smtp]\nauth = yes\npassword = s3cret\n` });
  chmodSync(join(dir, 'syschangemon.conf'), 0o640);
  const config = load(dir);
  assert.deepEqual(config.exposedSecrets, [join(dir, 'syschangemon.conf')]);
  assert.equal(config.sections['mail.smtp']!.password, 's3cret');
  chmodSync(join(dir, 'syschangemon.conf'), 0o600);
  assert.deepEqual(load(dir).exposedSecrets, []);
  const empty = tree({ 'syschangemon.conf': `${MAIN}[mail.smtp]\npassword =\n` });
  chmodSync(join(empty, 'syschangemon.conf'), 0o644);
  assert.deepEqual(load(empty).exposedSecrets, []);
});

test('resolveConfigPath: -c file or directory, then $SYSCHANGEMON_CONFIG, then /etc, then the bundled sample', () => {
  const dir = tree({ 'syschangemon.conf': MAIN, 'other.conf': MAIN });
  const system = join(dir, 'other.conf');
  assert.deepEqual(resolveConfigPath(dir, { env: {} }), { file: join(dir, 'syschangemon.conf'), bundled: false });
  assert.deepEqual(resolveConfigPath(system, { env: { SYSCHANGEMON_CONFIG: dir } }), { file: system, bundled: false });
  assert.deepEqual(resolveConfigPath(undefined, { env: { SYSCHANGEMON_CONFIG: dir }, systemFile: system }), {
    file: join(dir, 'syschangemon.conf'),
    bundled: false,
  });
  assert.deepEqual(resolveConfigPath(undefined, { env: {}, systemFile: system }), { file: system, bundled: false });
  assert.deepEqual(resolveConfigPath(undefined, { env: {}, systemFile: NO_SYSTEM_FILE }), { file: BUNDLED_CONFIG_FILE, bundled: true });
  assert.deepEqual(resolveConfigPath('/nonexistent/x.conf', { env: {} }), { file: '/nonexistent/x.conf', bundled: false });
});

test('the bundled sample is the repo\'s etc/syschangemon, and bundled state goes to the user\'s state dir', () => {
  assert.equal(BUNDLED_CONFIG_FILE, join(REPO, 'etc/syschangemon/syschangemon.conf'));
  assert.ok(existsSync(BUNDLED_CONFIG_FILE));

  // The repo's main sample and storage.conf (other plugins.d files belong to the collectors).
  const copy = tree({
    'syschangemon.conf': readFileSync(BUNDLED_CONFIG_FILE, 'utf8'),
    'plugins.d/storage.conf': readFileSync(join(REPO, 'etc/syschangemon/plugins.d/storage.conf'), 'utf8'),
  });
  const bundledFile = join(copy, 'syschangemon.conf');
  const state = join(tmpRoot, 'xdg-state');
  const viaXdg = loadConfig({ collectors: COLLECTORS, env: { XDG_STATE_HOME: state }, systemFile: NO_SYSTEM_FILE, bundledFile });
  assert.equal(viaXdg.bundled, true);
  assert.equal(viaXdg.file, bundledFile);
  assert.equal(viaXdg.storageDir, join(state, 'syschangemon'));
  assert.equal(viaXdg.dbPath, join(state, 'syschangemon', 'db.sqlite'));
  assert.equal(viaXdg.sections['mail.smtp']!.to_addr, '', 'mail is off by default');
  const viaHome = loadConfig({ collectors: COLLECTORS, env: { HOME: '/home/newcomer' }, systemFile: NO_SYSTEM_FILE, bundledFile });
  assert.equal(viaHome.storageDir, '/home/newcomer/.local/state/syschangemon');

  // The same files named with -c are not bundled: storage dir as configured.
  const named = loadConfig({ file: bundledFile, collectors: COLLECTORS, env: { XDG_STATE_HOME: state } });
  assert.equal(named.bundled, false);
  assert.equal(named.storageDir, '/var/lib/syschangemon/storage');
});

test('the sample syschangemon.conf documents every core key with its default', () => {
  const text =
    readFileSync(BUNDLED_CONFIG_FILE, 'utf8') + readFileSync(join(REPO, 'etc/syschangemon/plugins.d/storage.conf'), 'utf8');
  for (const [section, schema] of Object.entries(CORE_SECTIONS)) {
    assert.ok(text.includes(`[${section}]`), `[${section}] is in the sample`);
    // The section's own lines (two sections may have a key of the same name).
    const header = new RegExp(`^\\[${section.replace('.', '\\.')}\\]`, 'm').exec(text);
    const at = header?.index ?? 0;
    const next = text.indexOf('\n[', at + 1);
    const own = section === 'storage' ? text : text.slice(at, next < 0 ? undefined : next);
    for (const [key, spec] of Object.entries(schema)) {
      const shown = Array.isArray(spec.default) ? spec.default.join(', ') : String(spec.default ?? '');
      const line = new RegExp(`^[ \\t]*#?[ \\t]*${key} =[ \\t]?(.*)$`, 'm').exec(own);
      assert.ok(line, `[${section}] ${key} is documented`);
      if (section !== 'storage') assert.equal(line[1], shown, `[${section}] ${key} shows its default`);
    }
  }
});

test('parseOptionValue parses each type', () => {
  const spec = (type: OptionSpec['type'], more: Partial<OptionSpec> = {}): OptionSpec => ({ type, description: '', ...more });
  for (const word of ['1', 'yes', 'TRUE', 'On', ' true ']) assert.equal(parseOptionValue(spec('bool'), word), true, word);
  for (const word of ['0', 'no', 'False', 'OFF']) assert.equal(parseOptionValue(spec('bool'), word), false, word);
  assert.throws(() => parseOptionValue(spec('bool'), ''), /^Error: expected a boolean/);
  assert.equal(parseOptionValue(spec('int'), '-42'), -42);
  assert.equal(parseOptionValue(spec('int'), '+7'), 7);
  for (const bad of ['', '0x10', '1e3', '99999999999999999999']) assert.throws(() => parseOptionValue(spec('int'), bad), /expected a whole number/, bad);
  assert.equal(parseOptionValue(spec('string'), '  a % b  '), 'a % b');
  assert.deepEqual(parseOptionValue(spec('list'), '\n /a, b \n\n c'), ['/a, b', 'c']);
  assert.deepEqual(parseOptionValue(spec('list', { separator: 'commas' }), 'a, b,\n c ,, '), ['a', 'b', 'c']);
  const durations: Array<[string, number]> = [['30', 30], ['2.5', 2.5], ['45s', 45], ['15m', 900], ['2h', 7200], ['1d', 86400], ['1w', 604800], ['1h 30m', 5400], ['1H', 3600]];
  for (const [text, seconds] of durations) assert.equal(parseOptionValue(spec('duration'), text), seconds, text);
  for (const bad of ['', 'm', '5x', '-5', '1h-', 'h1']) assert.throws(() => parseOptionValue(spec('duration'), bad), /expected a duration/, bad);
  const sizes: Array<[string, number]> = [['100000', 100000], ['512k', 524288], ['512K', 524288], ['1KB', 1024], ['2KiB', 2048], ['10M', 10485760], ['1MiB', 1048576], ['1G', 1073741824], ['1GiB', 1073741824], ['1.5K', 1536], ['7b', 7]];
  for (const [text, bytes] of sizes) assert.equal(parseOptionValue(spec('size'), text), bytes, text);
  for (const bad of ['', 'K', '1X', '-1', '1 Kib b']) assert.throws(() => parseOptionValue(spec('size'), bad), /expected a size/, bad);
  assert.deepEqual(parseOptionValue(spec('list', { choices: ['a', 'b'] }), 'a\nb'), ['a', 'b']);
  assert.throws(() => parseOptionValue(spec('list', { choices: ['a', 'b'] }), 'a\nc'), /expected one of: a, b; got 'c'/);
  const check = (v: unknown) => ((v as number) > 0 ? undefined : 'expected a positive number');
  assert.throws(() => parseOptionValue(spec('int', { check }), '0'), /^Error: expected a positive number$/);
  assert.equal(parseOptionValue(spec('int', { check }), '3'), 3);
});
