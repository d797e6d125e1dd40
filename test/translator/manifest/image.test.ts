import { imageProblem, withDefaultTag } from '../../../translator/manifest/image.js';

describe('withDefaultTag', () => {
  it.each([
    ['nginx', 'nginx:latest'],
    ['nginx:1.25', 'nginx:1.25'],
    ['mcr.microsoft.com/azureiotedge-hub', 'mcr.microsoft.com/azureiotedge-hub:latest'],
    ['localhost:5000/img', 'localhost:5000/img:latest'],
    ['localhost:5000/img:2', 'localhost:5000/img:2'],
    ['img@sha256:0123abcd', 'img@sha256:0123abcd'],
    ['host:5000/team/img@sha256:0123abcd', 'host:5000/team/img@sha256:0123abcd'],
    ['host:5000/team:x/img', 'host:5000/team:x/img:latest'],
    ['img:', 'img:'],
    ['', ':latest'],
  ])('%s -> %s', (input, output) => {
    expect(withDefaultTag(input)).toBe(output);
  });
});

describe('imageProblem', () => {
  it('rejects empty and whitespace-containing references', () => {
    expect(imageProblem('')).toBe('must not be empty');
    expect(imageProblem('my image')).toBe('must not contain whitespace');
    expect(imageProblem('nginx')).toBeUndefined();
  });
});
