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

const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;
const DAY_S = 24 * HOUR_S;

/**
 * A duration as `iotedge list` words it (Azure/iotedge edgelet/iotedge/src/list.rs `format_time`):
 * up to 20 s chrono-humanize's precise English ("0 seconds", "1 second", "20 seconds"), beyond
 * it the rough one (chrono-humanize 0.2 `rough_period`: "35 seconds", "a minute" above 45 s,
 * "2 minutes" above 90 s, whole units rounded down, "an hour" above 45 minutes, "a day" above
 * 22 hours, "a week" above 6.5 days, "a month" above 29 days, "a year" above 345 days). A
 * negative duration (a start time ahead of this clock) reads as 0 seconds.
 */
export function humanDuration(ms: number): string {
  const s = Math.trunc(Math.max(0, ms) / 1000);
  if (ms <= 20_000) return s === 1 ? '1 second' : `${s} seconds`;
  const several = (unit: number, name: string) => `${Math.max(Math.floor(s / unit), 2)} ${name}`;
  if (s > 547 * DAY_S) return several(365 * DAY_S, 'years');
  if (s > 345 * DAY_S) return 'a year';
  if (s > 45 * DAY_S) return several(30 * DAY_S, 'months');
  if (s > 29 * DAY_S) return 'a month';
  if (s > 10 * DAY_S + 12 * HOUR_S) return several(7 * DAY_S, 'weeks');
  if (s > 6 * DAY_S + 12 * HOUR_S) return 'a week';
  if (s > 36 * HOUR_S) return several(DAY_S, 'days');
  if (s > 22 * HOUR_S) return 'a day';
  if (s > 90 * MINUTE_S) return several(HOUR_S, 'hours');
  if (s > 45 * MINUTE_S) return 'an hour';
  if (s > 90) return several(MINUTE_S, 'minutes');
  if (s > 45) return 'a minute';
  return `${s} seconds`;
}
