/**
 * Child process of bench/bridge.ts (bench/hub-emulator-process.ts starts it): runs the IoT Hub
 * emulator with its state in a directory and its service API on a loopback address, prints what
 * the bench needs of it (host names, CA, connection strings) as one JSON line and stops when
 * stdin closes. It answers no questions.
 *
 *   node --import tsx bench/hub-emulator-server.ts <state directory> <service host>
 */
import { startHubEmulator } from '../sandbox/hub/index.js';
import { serveQuestions } from './emulator-child.js';

const [stateDir, serviceHost] = process.argv.slice(2);
if (!stateDir || !serviceHost) throw new Error('usage: hub-emulator-server.ts <state directory> <service host>');
const hub = await startHubEmulator({ stateDir, serviceHost });
const { hostName, caPem, caFile, serviceConnectionString, deviceId, edgeAgentConnectionString, deviceConnectionString } = hub;
process.stdout.write(`${JSON.stringify({ hostName, caPem, caFile, serviceConnectionString, deviceId, edgeAgentConnectionString, deviceConnectionString })}\n`);
serveQuestions((line) => ({ error: `unknown question: ${line}` }), () => hub.stop());
