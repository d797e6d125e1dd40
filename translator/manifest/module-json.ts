/**
 * `modules/<name>/module.json` beside a deployment template: where `${MODULES.name[.platform]}`
 * images come from. As iotedgedev builds them, the image is
 * `<image.repository lowercased>:<image.tag.version>[-<CONTAINER_TAG>]-<platform>`, where the
 * platform is a key of `image.tag.platforms`. Defaults: `${MODULES.name}` uses the `amd64`
 * platform and `${MODULES.name.debug}` uses `amd64.debug`. `${VAR}` placeholders inside
 * module.json are resolved from the same environment.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describeSyntaxError, parseJsonText } from './json-text.js';
import { isObject } from './json-values.js';
import { PLACEHOLDER, placeholdersIn, type ModuleImage } from './template.js';

/** Platform used for `${MODULES.name}` without a platform. */
export const DEFAULT_PLATFORM = 'amd64';

/** The parts of module.json an image is made of. */
export interface ModuleImageInfo {
  repository: string;
  version: string;
  platforms: string[];
}

/** A module.json, read and checked, or why it cannot be used. */
export type ModuleJson = { ok: true; info: ModuleImageInfo } | { ok: false; problem: string };

function expand(text: string, env: Readonly<Record<string, string | undefined>>, file: string, field: string): { text: string } | { problem: string } {
  const missing = placeholdersIn(text).filter((name) => env[name] === undefined);
  if (missing.length > 0) return { problem: `${file}: ${field} uses \${${missing[0]}}, which is not set in the environment or in .env` };
  return { text: text.replace(PLACEHOLDER, (_, braced: string | undefined, bare: string | undefined) => env[braced ?? bare!] ?? '') };
}

/** Reads and checks `<dir>/modules/<name>/module.json`. Never throws. */
export async function readModuleJson(templateDir: string, name: string, env: Readonly<Record<string, string | undefined>>): Promise<ModuleJson> {
  const path = join(templateDir, 'modules', name, 'module.json');
  const file = relative(templateDir, path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { ok: false, problem: `${file} not found (no module '${name}' beside the template)` };
  }
  const parsed = parseJsonText(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) return { ok: false, problem: `${file} is not valid JSON: ${describeSyntaxError(parsed.error)}` };
  const image = isObject(parsed.value) ? parsed.value['image'] : undefined;
  const tag = isObject(image) ? image['tag'] : undefined;
  const repository = isObject(image) ? image['repository'] : undefined;
  const version = isObject(tag) ? tag['version'] : undefined;
  const platforms = isObject(tag) ? tag['platforms'] : undefined;
  if (typeof repository !== 'string' || repository === '') return { ok: false, problem: `${file} has no image.repository` };
  if (typeof version !== 'string' && typeof version !== 'number') return { ok: false, problem: `${file} has no image.tag.version` };
  if (!isObject(platforms) || Object.keys(platforms).length === 0) return { ok: false, problem: `${file} has no image.tag.platforms` };
  const repo = expand(repository, env, file, 'image.repository');
  if ('problem' in repo) return { ok: false, problem: repo.problem };
  const ver = expand(String(version), env, file, 'image.tag.version');
  if ('problem' in ver) return { ok: false, problem: ver.problem };
  return { ok: true, info: { repository: repo.text, version: ver.text, platforms: Object.keys(platforms) } };
}

/** The image for a platform of a module (`containerTag`: iotedgedev's CONTAINER_TAG suffix). */
export function moduleImage(name: string, module: ModuleJson | undefined, platform: string | undefined, containerTag = ''): ModuleImage {
  if (module === undefined) return { problem: `module '${name}' was not looked up` };
  if (!module.ok) return { problem: module.problem };
  const wanted = platform === undefined ? DEFAULT_PLATFORM : platform === 'debug' ? `${DEFAULT_PLATFORM}.debug` : platform;
  const { repository, version, platforms } = module.info;
  if (!platforms.includes(wanted)) {
    return { problem: `modules/${name}/module.json has no platform '${wanted}' (available: ${platforms.join(', ')})` };
  }
  const suffix = containerTag === '' ? '' : `-${containerTag}`;
  return { image: `${repository.toLowerCase()}:${version}${suffix}-${wanted}` };
}
