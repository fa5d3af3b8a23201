/**
 * Wires optional parts into the core: the configured logger, the progress display, and the
 * steps `run` takes after printing the report. Each part registers itself here in one line.
 */
export {};
// wiring: add imports above this line
