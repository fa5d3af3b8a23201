import { visibleControls } from '../core/visible.js';

/** A plain aligned text table. */
export function table(header: string[], rowsRaw: string[][]): string {
  // Cells hold what the system said (host names, notes): shown, never obeyed by the terminal.
  const rows = rowsRaw.map((r) => r.map((c) => visibleControls(c ?? '')));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
