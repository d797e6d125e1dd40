/**
 * The module table `iotedge-k8s run` shows: a pure renderer, and {@link LiveTable}, which
 * redraws the table in place on a terminal and writes one plain line per changed row otherwise.
 */
import type { ReportedDocument } from '../status/index.js';

/** One module's line in the table. */
export interface ModuleRow {
  module: string;
  /** Desired status from the deployment (`running`, `stopped`). */
  desiredStatus: string;
  /** Reported runtime status (`running`, `backoff`, ...). */
  runtimeStatus: string;
  restartCount: number;
  /** Service address (`10.0.0.5:8080`, a LoadBalancer's external address), when there is one. */
  address?: string;
}

const HEADERS = ['MODULE', 'DESIRED', 'RUNTIME', 'RESTARTS', 'ADDRESS'] as const;
const GAP = '   ';

function cells(row: ModuleRow): string[] {
  return [row.module, row.desiredStatus, row.runtimeStatus, String(row.restartCount), row.address ?? ''];
}

function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : text.slice(0, width - 1) + '…';
}

/**
 * Renders rows as aligned columns under a header, one line each, every line ending in `\n`.
 * With `width`, each line is cut to that many characters (an ellipsis marks the cut).
 * Rows appear in the order given; trailing spaces are trimmed.
 */
export function renderModuleTable(rows: readonly ModuleRow[], width?: number): string {
  const table = [[...HEADERS], ...rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table
    .map((r) => {
      const line = r.map((c, i) => c.padEnd(widths[i]!)).join(GAP).trimEnd();
      return (width === undefined ? line : clip(line, width)) + '\n';
    })
    .join('');
}

/**
 * Rows for a reported `$edgeAgent` document: edgeHub (when reported) first, then the modules
 * by name. The address is the LoadBalancer external address the status stage found. Pure.
 */
export function moduleRows(doc: Pick<ReportedDocument, 'systemModules' | 'modules'>): ModuleRow[] {
  const entries = Object.entries(doc.modules).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hub = doc.systemModules.edgeHub;
  return [...(hub ? [['edgeHub', hub] as const] : []), ...entries].map(([name, m]) => {
    const row: ModuleRow = { module: name, desiredStatus: m.status, runtimeStatus: m.runtimeStatus, restartCount: m.restartCount };
    if (m.externalAddress !== undefined) row.address = m.externalAddress;
    return row;
  });
}

/** The plain line written for a changed row when the output is not a terminal. */
export function describeRow(row: ModuleRow): string {
  const address = row.address ? ` at ${row.address}` : '';
  const desired = row.desiredStatus !== row.runtimeStatus ? ` (desired ${row.desiredStatus})` : '';
  return `module ${row.module}: ${row.runtimeStatus}${desired} (restarts ${row.restartCount})${address}`;
}

/** Where a {@link LiveTable} writes. `process.stdout` fits. */
export interface TableOutput {
  write(text: string): unknown;
  /** Terminal width, when known. */
  columns?: number;
}

const ESC = '\u001b[';

/**
 * Shows module rows as they change. On a terminal (`isTTY`), it redraws the table in place:
 * the cursor moves up over the previous drawing and each line is cleared and rewritten, only
 * when the rendered text changed, and only while nothing else was written below it
 * ({@link LiveTable.interrupted}); after other output the table is drawn again below it. Otherwise it writes one line per new or changed row and one
 * for each module that disappeared (`module x: removed`).
 */
export class LiveTable {
  private lastText: string | undefined;
  private lastLines = 0;
  private readonly lastRows = new Map<string, string>();

  constructor(
    private readonly out: TableOutput,
    private readonly isTTY: boolean,
  ) {}

  /**
   * Something else (a log line, a message) was written to the terminal since the last drawing:
   * the next drawing starts below it instead of moving up over it, so no line is ever overwritten.
   */
  interrupted(): void {
    if (!this.isTTY) return;
    this.lastLines = 0;
    this.lastText = undefined;
  }

  /** Shows the current rows; writes nothing when nothing changed. */
  update(rows: readonly ModuleRow[]): void {
    if (this.isTTY) this.redraw(rows);
    else this.logChanges(rows);
  }

  /**
   * Writes lines of text (ending with a newline) that stay: on a terminal, above the table,
   * which is drawn again below them; otherwise as they are.
   */
  print(text: string): void {
    if (!this.isTTY || this.lastText === undefined) {
      this.out.write(text);
      return;
    }
    // The printed lines take the table's place (each line cleared), and the table follows them.
    let frame = this.lastLines > 0 ? `${ESC}${this.lastLines}A` : '';
    for (const line of (text + this.lastText).split('\n').slice(0, -1)) frame += `\r${ESC}2K${line}\n`;
    this.out.write(frame);
  }

  private redraw(rows: readonly ModuleRow[]): void {
    const text = renderModuleTable(rows, this.out.columns);
    if (text === this.lastText) return;
    const lines = text.split('\n').slice(0, -1);
    let frame = this.lastLines > 0 ? `${ESC}${this.lastLines}A` : '';
    for (const line of lines) frame += `\r${ESC}2K${line}\n`;
    // Clear lines left over from a taller previous drawing, then return below the table.
    const extra = Math.max(0, this.lastLines - lines.length);
    for (let i = 0; i < extra; i++) frame += `${ESC}2K\n`;
    if (extra > 0) frame += `${ESC}${extra}A`;
    this.out.write(frame);
    this.lastText = text;
    this.lastLines = lines.length;
  }

  private logChanges(rows: readonly ModuleRow[]): void {
    const seen = new Set<string>();
    let text = '';
    for (const row of rows) {
      seen.add(row.module);
      const line = describeRow(row);
      if (this.lastRows.get(row.module) !== line) text += line + '\n';
      this.lastRows.set(row.module, line);
    }
    for (const name of [...this.lastRows.keys()]) {
      if (seen.has(name)) continue;
      this.lastRows.delete(name);
      text += `module ${name}: removed\n`;
    }
    if (text !== '') this.out.write(text);
  }
}
