/** Image references: an image without a tag or digest means `:latest`, as Docker pulls it. */

/**
 * Adds `:latest` when the reference has neither a tag nor a digest. The tag is looked for only
 * in the last path component, so a registry port (`host:5000/img`) is not taken for a tag.
 */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastComponent = image.slice(image.lastIndexOf('/') + 1);
  return lastComponent.includes(':') ? image : `${image}:latest`;
}

/** Why an image reference cannot be used, or undefined when it can. */
export function imageProblem(image: string): string | undefined {
  if (image.trim() === '') return 'must not be empty';
  if (/\s/.test(image)) return 'must not contain whitespace';
  return undefined;
}
