/**
 * How the compiled command ends. On Linux, writes to a pipe are asynchronous in Node: what the
 * pipe buffer (64 KiB) cannot take waits in the process until the reader reads. `process.exit()`
 * drops those pending writes, so the reader sees a stream cut at 64 KiB (`translate | kubectl
 * apply -f -` with a kubectl slow to start: a YAML document cut in the middle). The command
 * therefore exits only once its output has reached the pipe, and a reader that went away
 * (`translate | head`) ends it quietly, as SIGPIPE ends a C program, instead of with a stack trace.
 */
import type { Writable } from 'node:stream';

/** Exit code of a process that wrote to a closed pipe (128 + SIGPIPE), as a shell reports it. */
export const BROKEN_PIPE_EXIT_CODE = 141;

/** Output stream as far as these functions need it (process.stdout, process.stderr). */
export type Output = Pick<Writable, 'write' | 'writableLength' | 'destroyed' | 'once' | 'off'>;

/**
 * Resolves once everything written to `stream` so far has been handed to the operating system,
 * or once the stream failed or closed (then nothing more can be delivered). Writes are delivered
 * in order, so the callback of an empty write runs after every earlier write completed.
 */
export function flushed(stream: Output): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('error', done);
    stream.once('close', done);
    stream.write('', () => done());
  });
}

/**
 * A reader that closed its end (`| head`) makes the next write fail with EPIPE: exit at once
 * with 141, without a stack trace (and without writing to stderr, which may be the same pipe).
 * Other write errors on stderr are ignored (there is nowhere left to report them); on stdout they
 * end the command with 1.
 */
export function endOnBrokenPipe(stdout: Pick<Writable, 'on'>, stderr: Pick<Writable, 'on'>, exit: (code: number) => void): void {
  stdout.on('error', (e: NodeJS.ErrnoException) => exit(e.code === 'EPIPE' ? BROKEN_PIPE_EXIT_CODE : 1));
  stderr.on('error', () => {});
}

/**
 * Arms the exit that follows a finished command: after `graceMs`, once stdout and stderr have
 * flushed, `exit` runs even if a socket or timer (a link that never answered) keeps the process
 * alive. The timer does not keep the process alive itself; pending writes do, until the reader
 * has read them.
 */
export function exitWhenFlushed(stdout: Output, stderr: Output, exit: () => void, graceMs: number): void {
  setTimeout(() => void Promise.all([flushed(stdout), flushed(stderr)]).then(exit), graceMs).unref();
}
