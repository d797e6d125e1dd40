/** translator/bridge: the one place where the stages are wired together (rxjs). */
export { Bridge, type BridgeOptions, type BridgeLog, type PassInput, type PreparedPass } from './bridge.js';
export { bridgeVersion, platform } from './identity.js';
