/** The compiled command's entry point (`node dist/translator/cli/entry.js ARGS`): the bin and the image run it. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
