#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` and `npm install` run as
// the `prepare` script) with plain node: no TypeScript loader at run time.
try {
  await import('../dist/translator/cli/entry.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/translator/cli/entry.js')) throw e;
  process.stderr.write('iotedge-k8s: the compiled CLI (dist/) is missing: run `npm run build` (npm ci runs it).\n');
  process.exitCode = 1;
}
