import { loadReport, reportJsonChunks } from '../core/report.js';
import { renderReport } from '../core/render.js';
import type { App } from '../core/app.js';
import type { ReportRow } from '../store/store.js';
import type { CommandSpec } from './command.js';
import { formatOf, out, outStream } from './command.js';

/** Print a stored report in the chosen format. */
export async function printReport(app: App, row: ReportRow, format: string): Promise<void> {
  const store = app.db(true);
  if (format === 'json') {
    for (const chunk of reportJsonChunks(store, row)) await outStream(chunk);
    return;
  }
  const report = loadReport(store, row);
  out(renderReport(report, format === 'html' ? 'html' : 'text', { templateDir: app.cfg.templateDir }));
}

export const printReportCommand: CommandSpec = {
  name: 'print-report',
  describe: 'print report from database (default: last report)',
  formats: ['text', 'html', 'json'],
  async run(app, args) {
    const row = app.db(true).reportByUuid(args.reportUuid);
    const format = args.format ?? (args.html ? 'html' : 'text');
    await printReport(app, row, formatOf(printReportCommand, { ...args, format }));
  },
};
