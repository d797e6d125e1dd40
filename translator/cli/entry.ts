/** The compiled command's entry point (`node dist/translator/cli/entry.js ARGS`): the bin and the image run it. */
import { setTimeout } from 'node:timers';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
// A command is over once main returns: a connection an abandoned shutdown step left open (an
// unreachable IoT Hub or cluster) must not keep the process alive. The timer does not hold the
// process itself, so a clean run exits at once and output still drains.
setTimeout(() => process.exit(), 2000).unref();
