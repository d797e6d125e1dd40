/** The compiled command's entry point (`node dist/translator/cli/entry.js ARGS`): the bin and the image run it. */
import { setTimeout } from 'node:timers';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
// The command is over: a socket or timer left open by a link that never answered (the cluster
// API, IoT Hub) must not keep the process alive. Normally the process has exited before this.
setTimeout(() => process.exit(), 1_000).unref();
