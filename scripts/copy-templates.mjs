// Copies the collectors' report partials (src/collectors/<name>/report.{txt,html}.njk) next
// to their compiled modules in dist/collectors/<name>/, where the renderer looks for them.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src', 'collectors');
for (const name of fs.readdirSync(src)) {
  for (const file of ['report.txt.njk', 'report.html.njk']) {
    const from = path.join(src, name, file);
    if (!fs.existsSync(from)) continue;
    const to = path.join(root, 'dist', 'collectors', name, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
}
