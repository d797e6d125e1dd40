// Preloaded with `node --import`: records the URL of every module the process resolves, one per
// line, in the file named by RECORD_LOADS_FILE (tests use it to see which modules a command loads).
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_LOADS_FILE } });
