/**
 * The bridge's own recent log lines, kept in memory so that GetModuleLogs can answer for
 * `edgeAgent` as edgeAgent answers with its own log. Bounded by line count and total size (the
 * oldest lines go first). Each pino JSON line is kept as `<N> <line>`: `N` is the syslog
 * severity of the pino level, the prefix edgeAgent's own log lines carry.
 */

/** A kept line: when it was logged and the text with its `<N>` prefix. */
export interface KeptLogLine {
  time: Date;
  raw: string;
}

/** Options of {@link LogRing}. */
export interface LogRingOptions {
  /** @default 2000 */
  maxLines?: number;
  /** Total characters kept. @default 1 MiB */
  maxChars?: number;
}

/** pino level -> syslog severity (trace/debug 7, info 6, warn 4, error 3, fatal 2). */
export function syslogSeverity(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

export class LogRing {
  private readonly maxLines: number;
  private readonly maxChars: number;
  private kept: KeptLogLine[] = [];
  private chars = 0;

  constructor(options: LogRingOptions = {}) {
    this.maxLines = Math.max(1, options.maxLines ?? 2000);
    this.maxChars = Math.max(1, options.maxChars ?? 1024 * 1024);
  }

  /** Keeps one pino JSON line (or any text line: severity 6, the current time). */
  push(line: string): void {
    const text = line.replace(/\n+$/, '');
    if (text === '') return;
    let level = 30;
    let time = Date.now();
    try {
      const parsed = JSON.parse(text) as { level?: unknown; time?: unknown };
      if (typeof parsed.level === 'number') level = parsed.level;
      if (typeof parsed.time === 'number') time = parsed.time;
    } catch {
      // Not JSON: kept as an informational line.
    }
    const raw = `<${syslogSeverity(level)}> ${text}`;
    this.kept.push({ time: new Date(time), raw });
    this.chars += raw.length;
    while (this.kept.length > this.maxLines || (this.chars > this.maxChars && this.kept.length > 1)) this.chars -= this.kept.shift()!.raw.length;
  }

  /** The kept lines, oldest first. */
  lines(): readonly KeptLogLine[] {
    return [...this.kept];
  }

  /** A pino destination that keeps every line and passes it on to `forward`. */
  tee(forward: (line: string) => void): { write: (line: string) => void } {
    return {
      write: (line: string) => {
        this.push(line);
        forward(line);
      },
    };
  }
}
