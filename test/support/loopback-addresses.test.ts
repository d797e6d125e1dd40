/**
 * Test files run in two jest workers at once: two files that bind the same fixed loopback
 * address (an IoT Hub emulator's service API on port 443, say) fail at random when they happen
 * to overlap ("address already in use"). Each fixed 127.0.0.N address must belong to one file.
 * The addresses 127.0.0.0 to 127.0.0.3 only appear in messages and option checks (the
 * sandbox's default and the one it falls back to), never as a test's own server.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testRoot = fileURLToPath(new URL('..', import.meta.url));
const SHARED = new Set(['127.0.0.0', '127.0.0.1', '127.0.0.2', '127.0.0.3']);

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Each fixed 127.0.0.N address that appears in more than one test file, with those files. */
export function sharedAddresses(files: readonly { path: string; text: string }[]): Record<string, string[]> {
  const owners = new Map<string, Set<string>>();
  for (const { path, text } of files) {
    for (const [address] of text.matchAll(/\b127\.0\.0\.\d{1,3}\b/g)) {
      if (SHARED.has(address)) continue;
      owners.set(address, (owners.get(address) ?? new Set()).add(path));
    }
  }
  return Object.fromEntries([...owners].filter(([, paths]) => paths.size > 1).map(([address, paths]) => [address, [...paths].sort()]));
}

it('finds an address two files share', () => {
  expect(sharedAddresses([
    { path: 'a.test.ts', text: "startHubEmulator({ serviceHost: '127.0.0.62' })" },
    { path: 'b.test.ts', text: "startDeviceSite({ serviceHost: '127.0.0.62' }); '127.0.0.1'" },
    { path: 'c.test.ts', text: "'127.0.0.63', '127.0.0.1', 127.0.0.3" },
  ])).toEqual({ '127.0.0.62': ['a.test.ts', 'b.test.ts'] });
});

it('no two test files bind the same fixed loopback address', () => {
  const self = fileURLToPath(import.meta.url);
  const files = testFiles(testRoot).filter((path) => path !== self).map((path) => ({ path: relative(testRoot, path), text: readFileSync(path, 'utf8') }));
  expect(files.length).toBeGreaterThan(100);
  expect(sharedAddresses(files)).toEqual({});
});
