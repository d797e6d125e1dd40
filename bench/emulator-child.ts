/**
 * An emulator in a child process of a bench, so that the bench's own clients, proxy and watches
 * never share its event loop (a real API server or IoT Hub runs apart from its clients). The
 * child prints one JSON line describing itself once it serves, then answers each line written to
 * its stdin with one JSON line, in order, and stops when its stdin closes.
 */
import { spawn } from 'node:child_process';

/** An answer line; `error` set when the child could not answer. */
export interface ChildLine {
  error?: string;
}

/** A running child. */
export interface EmulatorChild<Line extends ChildLine> {
  /** The line the child printed once it served. */
  first: Line;
  /** Writes one question line and resolves with its answer (rejects with the child's error). */
  ask(question: string): Promise<Line>;
  /** Closes the child's stdin and resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node [nodeArgs] --import tsx <script> <args>` and resolves with its first line.
 * `nodeArgsEnv` names an environment variable whose words go before the script (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the child).
 */
export async function spawnEmulatorChild<Line extends ChildLine>(label: string, script: string, args: string[], nodeArgsEnv: string): Promise<EmulatorChild<Line>> {
  const nodeArgs = (process.env[nodeArgsEnv] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: Array<(line: Line) => void> = [];
  let text = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const line = JSON.parse(text.slice(0, newline)) as Line;
      text = text.slice(newline + 1);
      waiting.shift()?.(line);
    }
  });
  const next = () => new Promise<Line>((resolve) => waiting.push(resolve));
  const first = await Promise.race([
    next(),
    exited.then(() => {
      throw new Error(`${label} exited before serving`);
    }),
  ]);
  return {
    first,
    async ask(question) {
      const answer = next();
      child.stdin.write(`${question}\n`);
      const line = await answer;
      if (line.error) throw new Error(`${label}: ${line.error}`);
      return line;
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

/** Calls `answer` for each line of this process's stdin and prints its JSON; calls `stop` when stdin closes (the child side). */
export function serveQuestions(answer: (line: string) => unknown, stop: () => Promise<void>): void {
  process.stdin.setEncoding('utf8');
  let pending = '';
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') process.stdout.write(`${JSON.stringify(answer(line))}\n`);
    }
  });
  process.stdin.on('end', () => {
    void stop().then(() => process.exit(0));
  });
}
