import { hostname } from 'node:os';

/** The variable the install manifests fill with the pod's name (the downward API). */
export const POD_NAME_ENV = 'POD_NAME';

/** This bridge's holder identity: `POD_NAME`, else `<host name>_<pid>`. */
export function holderIdentity(env: NodeJS.ProcessEnv = process.env, host = hostname(), pid = process.pid): string {
  const pod = env[POD_NAME_ENV]?.trim();
  return pod ? pod : `${host}_${pid}`;
}
