/**
 * The desired fields edgeAgent copies into a module's reported properties: type, status,
 * restartPolicy, imagePullPolicy, startupOrder, version, env as `{name: {value}}`, and settings
 * with the createOptions re-serialized as JSON and split into 512-character chunks
 * (`createOptions`, `createOptions01`, ...) exactly as a manifest carries them.
 */
import type { EnvVar } from '../manifest/index.js';
import type { ReportedSettings } from './reported-types.js';

/** Length of one createOptions chunk in IoT Edge manifests. */
export const CREATE_OPTIONS_CHUNK = 512;

/** `env` in the reported shape. */
export function reportedEnv(env: readonly EnvVar[]): Record<string, { value: string }> {
  const out: Record<string, { value: string }> = {};
  for (const e of env) out[e.name] = { value: e.value };
  return out;
}

/** `settings`: image and createOptions chunks (none when createOptions is empty). */
export function reportedSettings(image: string, createOptions: Record<string, unknown>): ReportedSettings {
  const settings: ReportedSettings = { image };
  if (Object.keys(createOptions).length === 0) return settings;
  const text = JSON.stringify(createOptions);
  for (let i = 0; i * CREATE_OPTIONS_CHUNK < text.length; i++) {
    const key = i === 0 ? 'createOptions' : (`createOptions${String(i).padStart(2, '0')}` as const);
    settings[key] = text.slice(i * CREATE_OPTIONS_CHUNK, (i + 1) * CREATE_OPTIONS_CHUNK);
  }
  return settings;
}
