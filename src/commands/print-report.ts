import { loadReport, reportJsonChunks, storedChanges } from '../core/report.js';
import { renderReport, streamReport } from '../core/render.js';
import { reportEcsLines } from '../output/step.js';
import { htmlToPdf } from '../output/pdf.js';
import { usageError } from '../errors.js';
import type { App } from '../core/app.js';
import type { ReportRow } from '../store/store.js';
import type { CommandSpec } from './command.js';
import { formatOf, out, outStream } from './command.js';
import { MIN_SEVERITY_OPTION } from './options.js';
import type { SeverityLevel } from '../core/report-model.js';

/** Print a stored report in the chosen format. */
export async function printReport(app: App, row: ReportRow, format: string, minSeverity?: SeverityLevel, output?: string): Promise<void> {
  const store = app.db(true);
  if (format === 'pdf') {
    if (!output) throw usageError('--format pdf needs -o FILE (the PDF to write)');
    const opts = { templateDir: app.cfg.templateDir, describe: app.describe, minSeverity, maxDiffLines: app.maxDiffLines };
    htmlToPdf(renderReport(loadReport(store, row), 'html', opts), output);
    return;
  }
  if (format === 'json') {
    for (const chunk of reportJsonChunks(store, row, { minSeverity })) await outStream(chunk);
    return;
  }
  if (format === 'ecs') {
    for (const line of reportEcsLines(app, row)) await outStream(line);
    return;
  }
  const kind = format === 'html' ? 'html' : 'text';
  const opts = { templateDir: app.cfg.templateDir, describe: app.describe, minSeverity, maxDiffLines: app.maxDiffLines, partials: app.partials };
  // Streamed piece by piece when the template exports its parts as macros (the bundled ones
  // do); a custom template that does not is rendered whole, holding the report in memory.
  if (await streamReport(store.reportHead(row), storedChanges(store, row), kind, opts, outStream)) return;
  out(renderReport(loadReport(store, row), kind, opts));
}

export const printReportCommand: CommandSpec = {
  name: 'print-report',
  uses: ['report-uuid', 'html'],
  describe: 'print report from database (default: last report)',
  formats: ['text', 'html', 'json', 'ecs', 'pdf'],
  options: { 'min-severity': MIN_SEVERITY_OPTION, output: { alias: 'o', type: 'string', describe: 'with --format pdf: the PDF file to write (the HTML report printed by headless Chromium)' } },
  async run(app, args) {
    const row = app.db(true).reportByUuid(args.reportUuid);
    const format = args.format ?? (args.html ? 'html' : 'text');
    await printReport(app, row, formatOf(printReportCommand, { ...args, format }), args.minSeverity, (args as { output?: string }).output);
  },
};
