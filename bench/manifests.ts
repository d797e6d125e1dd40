/**
 * The deployment manifests the benches push and apply: `n` modules, each with its own short image,
 * one exposed port (so a Service) and an env variable carrying the round, so that every new round
 * changes every module's pod template.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form JSON here
type Json = any;

/**
 * The image of module i: short, so that the reported document of 50 modules (with their env and
 * createOptions) stays under IoT Hub's 32 KB limit for reported properties.
 */
export function imageOf(i: number): string {
  return `cr.io/m${i}:1`;
}

/**
 * A deployment with `n` modules; `round` goes into every module's env, `extra` into one module's.
 * `pad` adds spaces around module0's createOptions string: different bytes (so IoT Hub gives the
 * push a new `$version`), the same deployment once parsed.
 */
export function deploymentContent(n: number, round: number | string, extra?: { module: number; value: string }, pad = 0): Json {
  const modules: Json = {};
  for (let i = 0; i < n; i++) {
    const env: Json = { BENCH_ROUND: { value: String(round) } };
    if (extra?.module === i) env.BENCH_EXTRA = { value: extra.value };
    modules[`module${i}`] = {
      version: '1.0',
      type: 'docker',
      status: 'running',
      restartPolicy: 'always',
      env,
      settings: {
        image: imageOf(i),
        createOptions: `${i === 0 ? ' '.repeat(pad) : ''}${JSON.stringify({ ExposedPorts: { [`${8000 + i}/tcp`]: {} } })}${i === 0 ? ' '.repeat(pad) : ''}`,
      },
    };
  }
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25' } },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
            edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{}' } },
          },
          modules,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { upstream: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  };
}
