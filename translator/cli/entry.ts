/** The compiled command's entry point (`node dist/translator/cli/entry.js ARGS`): the bin and the image run it. */
import { endOnBrokenPipe, exitWhenFlushed } from './exit.js';
import { main } from './main.js';

endOnBrokenPipe(process.stdout, process.stderr, (code) => process.exit(code));
process.exitCode = await main(process.argv.slice(2));
// The command is over: a socket or timer left open by a link that never answered (the cluster
// API, IoT Hub) must not keep the process alive. Normally the process has exited before this.
// Output still waiting for a slow reader of a pipe is delivered first (see exit.ts).
exitWhenFlushed(process.stdout, process.stderr, () => process.exit(), 1_000);
