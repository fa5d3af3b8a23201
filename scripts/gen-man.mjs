#!/usr/bin/env node
// Turns docs/syschangemon.8.md into the roff man page man/syschangemon.8 (no network, no
// dependencies). The Markdown uses a small subset: `# SECTION`, paragraphs, `- item — text`
// lists, 4-space indented code, **bold**, *italic*.
import * as fs from 'node:fs';

const [src = 'docs/syschangemon.8.md', dest = 'man/syschangemon.8'] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const md = fs.readFileSync(src, 'utf8');

const esc = (s) => s.replace(/\\/g, '\\e').replace(/^([.'])/, '\\&$1').replace(/-/g, '\\-');
const inline = (s) =>
  esc(s)
    .replace(/\*\*([^*]+)\*\*/g, '\\fB$1\\fR')
    .replace(/\*([^*]+)\*/g, '\\fI$1\\fR');

const out = [`.TH SYSCHANGEMON 8 "2026-11-24" "syschangemon ${pkg.version}" "System Administration"`];
let para = [];
const flush = () => {
  if (para.length) out.push('.PP', inline(para.join(' ')));
  para = [];
};
const lines = md.split('\n');
for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  if (line.startsWith('# ')) {
    flush();
    out.push(`.SH ${line.slice(2).trim()}`);
  } else if (line.startsWith('- ')) {
    flush();
    const m = /^- (.+?) — (.*)$/.exec(line);
    if (m) out.push('.TP', inline(m[1]), inline(m[2]));
    else out.push('.IP \\(bu 2', inline(line.slice(2)));
  } else if (line.startsWith('    ')) {
    flush();
    const block = [];
    while (i < lines.length && (lines[i].startsWith('    ') || lines[i] === '')) block.push(lines[i++].slice(4));
    i--;
    while (block.length && block[block.length - 1] === '') block.pop();
    out.push('.PP', '.nf', '.RS 4', ...block.map(esc), '.RE', '.fi');
  } else if (line.trim() === '') flush();
  else para.push(line.trim());
}
flush();
fs.mkdirSync(dest.replace(/\/[^/]*$/, ''), { recursive: true });
fs.writeFileSync(dest, `${out.join('\n')}\n`);
