/** The azure-iothub CA helper lives with the product (`push --ca` uses it); tests reach it here too. */
export { trustHubCa } from '../../translator/twin/index.js';
