/** translator/bridge: the one place where the stages are wired together (rxjs). */
export { Bridge, type BridgeOptions, type BridgeLog } from './bridge.js';
