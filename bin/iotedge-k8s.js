#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader, so `npm ci` is the only set-up step.
import { setTimeout } from 'node:timers';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../translator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// A command is over once main returns: a connection an abandoned shutdown step left open (an
// unreachable IoT Hub or cluster) must not keep the process alive. The timer does not hold the
// process itself, so a clean run exits at once and output still drains.
setTimeout(() => process.exit(), 2000).unref();
