/**
 * Wires optional parts into the core: the configured logger, the progress display, and the
 * steps `run` takes after printing the report. Each part registers itself here in one line.
 */
import { afterReportSteps } from './commands/run.js';
import { emailPending } from './mail/step.js';

afterReportSteps.push((app, args) => emailPending(app, args));
// wiring: add imports above this line
