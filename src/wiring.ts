/**
 * Wires optional parts into the core: the configured logger, the progress display, and the
 * steps `run` takes after printing the report. Each part registers itself here in one line.
 */
import { afterReportSteps } from './commands/run.js';
import { emailPending } from './mail/step.js';
import { hooks } from './core/app.js';
import { makeProgress } from './core/progress.js';
import { makeLogger } from './log/logger.js';
import { syslogRunStep } from './log/run-step.js';

afterReportSteps.push((app, args) => emailPending(app, args));
hooks.makeLogger = makeLogger;
hooks.makeProgress = makeProgress;
afterReportSteps.push((app, args, reportUuid) => syslogRunStep(app, args, reportUuid));
// wiring: add imports above this line
