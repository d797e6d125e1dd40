/**
 * Template placeholders left in a manifest that reached the translator as plain JSON (a
 * deployment built by hand from a template, or pushed without its variables filled in):
 * `$CONTAINER_REGISTRY_ADDRESS` as a registry address would become a pull Secret for a
 * registry of that name and an image that cannot be pulled. Each such value gets a warning at
 * its pointer. A password is never shown, only said to look like a placeholder.
 */
import { joinPointer, warning, type Diagnostic } from '../manifest/index.js';
import type { DeploymentModel, ModuleModel } from '../manifest/index.js';

/** Rule of warnings about `$NAME` / `${NAME}` left in registry credentials or images. */
export const LEFTOVER_PLACEHOLDER = 'leftover-placeholder';

const PLACEHOLDER = /\$\{[A-Za-z0-9_.]+\}|\$[A-Za-z0-9_]+/;
const WHOLE_PLACEHOLDER = /^(\$\{[A-Za-z0-9_.]+\}|\$[A-Za-z0-9_]+)$/;

/** Warnings for placeholders in registry credentials (address, username, password) and module images. */
export function leftoverPlaceholders(model: DeploymentModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hint = 'it looks like a deployment template placeholder that was never filled in (translate the template itself, with its .env, or set the value)';
  for (const c of model.registryCredentials) {
    for (const field of ['address', 'username'] as const) {
      const m = PLACEHOLDER.exec(c[field]);
      if (m) out.push(warning(joinPointer(c.pointer, field), `registry credential '${c.name}' ${field} holds '${m[0]}': ${hint}`, LEFTOVER_PLACEHOLDER));
    }
    if (WHOLE_PLACEHOLDER.test(c.password))
      out.push(warning(joinPointer(c.pointer, 'password'), `registry credential '${c.name}' password is a placeholder name: ${hint}`, LEFTOVER_PLACEHOLDER));
  }
  if (model.edgeHub) imagePlaceholder(model.edgeHub, hint, out);
  // An indexed loop: no iterator result per module.
  for (let i = 0; i < model.modules.length; i++) imagePlaceholder(model.modules[i]!, hint, out);
  return out;
}

function imagePlaceholder(m: ModuleModel, hint: string, out: Diagnostic[]): void {
  // Most images hold no `$`: no regular expression for them.
  if (!m.image.includes('$')) return;
  const found = PLACEHOLDER.exec(m.image);
  if (found) out.push(warning(joinPointer(m.pointer, 'settings', 'image'), `module '${m.name}' image '${m.image}' holds '${found[0]}': ${hint}`, LEFTOVER_PLACEHOLDER));
}
