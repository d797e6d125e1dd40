/** What the bridge reports about itself as edgeAgent's `version` and `runtime.platform`. */
import { arch, platform as osPlatform, release } from 'node:os';
import type { AgentVersion, Platform } from '../status/index.js';
import { packageVersion } from '../package.js';

export const bridgeVersion: AgentVersion = { version: packageVersion, build: 'iotedge-k8s', commit: process.env.IOTEDGE_K8S_COMMIT ?? 'unknown' };

const ARCHITECTURES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l' };

export const platform: Platform = { os: osPlatform(), architecture: ARCHITECTURES[arch()] ?? arch(), version: release() };
