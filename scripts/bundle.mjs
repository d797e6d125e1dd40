/**
 * The image's entry point as a bundle (`npm run build` runs this after tsc): esbuild joins the
 * compiled CLI (dist/translator/cli/entry.js) and the packages it loads into a few files in
 * dist/bundle/cli/. Node's module loader spends most of the bridge's start-up resolving,
 * reading and wrapping some 800 separate files (about 400 ms of 1.1 s with --lite-mode,
 * bench/rss.ts); a bundle is read in a handful. Verbs and links loaded with `import()` stay
 * separate chunks, loaded when used, as before.
 *
 * Left out of the bundle (loaded from where they are when used):
 * - sandbox/: the emulators, the tsc build in dist/sandbox/ (they find their own files next to
 *   themselves, e.g. sandbox/kube/proto/, and load only with `run --sandbox` or `sandbox`);
 * - mqtt-packet: translator/twin/mqtt-numbers.ts turns off the number cache of the copy MQTT.js
 *   loads, found by require(); one copy in node_modules serves both;
 * - @kubernetes/client-node and @azure/storage-blob: large, loaded lazily and rarely (exec
 *   credential plugins; upload methods).
 * Plain JavaScript, no TypeScript loader: the image's build stage runs it with node.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, 'dist', 'bundle', 'cli');
const sandboxDir = resolve(root, 'dist', 'sandbox');

/** Imports of dist/sandbox/ stay imports, rewritten relative to the bundle's folder. */
const sandboxOutside = {
  name: 'sandbox-outside',
  setup(b) {
    b.onResolve({ filter: /(^|\/)sandbox\// }, (args) => {
      if (!args.path.startsWith('.')) return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (!target.startsWith(sandboxDir + '/')) return undefined;
      return { path: relative(outdir, target), external: true };
    });
  },
};

/**
 * The bundle's require('mqtt-packet') (from its folder) must find the copy MQTT.js uses, the one
 * translator/twin/mqtt-numbers.ts reaches along azure-iot-device-mqtt's dependency chain.
 */
function checkOneMqttPacket() {
  let chain = createRequire(resolve(root, 'dist', 'translator', 'twin', 'mqtt-numbers.js'));
  for (const name of ['azure-iot-device-mqtt', 'azure-iot-mqtt-base', 'mqtt']) chain = createRequire(chain.resolve(name));
  const fromBundle = createRequire(resolve(outdir, 'entry.js')).resolve('mqtt-packet');
  if (chain.resolve('mqtt-packet') !== fromBundle) {
    throw new Error(`scripts/bundle.mjs: MQTT.js uses ${chain.resolve('mqtt-packet')}, the bundle would load ${fromBundle}: bundle mqtt-packet with MQTT.js instead`);
  }
}

checkOneMqttPacket();
rmSync(resolve(root, 'dist', 'bundle'), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['dist/translator/cli/entry.js'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Class names stay as written: error messages name the SDK's error classes (translator/twin/errors.ts).
  keepNames: true,
  external: ['mqtt-packet', '@kubernetes/client-node', '@azure/storage-blob'],
  plugins: [sandboxOutside],
  // CommonJS packages inside an ES module bundle call require(): Node's, from this folder.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exitCode = 1;
