/** The `$edgeAgent` twin as a source of desired deployments. */
import { map, type Observable } from 'rxjs';
import { parseManifest } from '../manifest/index.js';
import type { DesiredInput } from '../bridge/bridge.js';
import type { TwinLink } from '../twin/index.js';

/** Each desired document the twin link settles on, validated, with its `$version`. */
export function twinDesired(link: Pick<TwinLink, 'desired$'>): Observable<DesiredInput> {
  return link.desired$.pipe(map(({ version, desired }) => ({ version, manifest: parseManifest(desired) })));
}
