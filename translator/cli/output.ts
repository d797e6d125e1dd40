/** Output of the device verbs: `-o table|json|yaml`, tab-aligned tables as `iotedge` prints them. */
import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Machine output of `value`. */
export function machine(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) + '\n' : stringify(value, { lineWidth: 0 });
}

/** Columns padded to their widest cell (at least 15, as iotedge's tabwriter), separated by 3 spaces. */
export function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(15, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}

/** chrono-humanize's rough English, as `iotedge list` prints durations ("5 seconds", "a minute", "3 hours"). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s <= 20) return s === 1 ? '1 second' : `${s} seconds`;
  if (s < 45) return 'a few seconds';
  const units: [number, string, string][] = [
    [60, 'a minute', 'minutes'],
    [3600, 'an hour', 'hours'],
    [86400, 'a day', 'days'],
    [7 * 86400, 'a week', 'weeks'],
    [30 * 86400, 'a month', 'months'],
    [365 * 86400, 'a year', 'years'],
  ];
  let chosen = units[0]!;
  for (const unit of units) if (s >= unit[0] * 0.75) chosen = unit;
  const n = Math.round(s / chosen[0]);
  return n <= 1 ? chosen[1] : `${n} ${chosen[2]}`;
}
