/**
 * Collects the diagnostics of one module's translation. An error means the module cannot be
 * translated (it is skipped); warnings never stop it.
 */
import { error, warning, type Diagnostic } from '../manifest/index.js';

/** Rule of warnings about createOptions keys that are not (fully) mapped. */
export const UNSUPPORTED = 'unsupported-create-option';
/** Rule of errors about createOptions values that cannot be translated. */
export const INVALID = 'invalid-create-option';

export class Issues {
  readonly diagnostics: Diagnostic[] = [];
  /** Errors recorded so far (asked once or twice per module: a count, not a search of the list). */
  private errors = 0;

  /** True once an error was recorded. */
  get failed(): boolean {
    return this.errors > 0;
  }

  /** An error (code 400) that makes the module impossible to translate. */
  error(pointer: string, message: string, rule: string = INVALID): void {
    this.errors++;
    this.diagnostics.push(error(pointer, message, rule));
  }

  /** A warning; `rule` defaults to {@link UNSUPPORTED}. */
  warn(pointer: string, message: string, rule: string = UNSUPPORTED): void {
    this.diagnostics.push(warning(pointer, message, rule));
  }
}
