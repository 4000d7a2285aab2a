/**
 * The harness for plugin authors: `connectorContract` is the test suite every device connector
 * passes against its simulator; `runHandler` runs a service handler as the engine would, without a
 * server.
 */
export { assertReading, connectorContract, type ConnectorHarness } from './contract.ts';
export { runHandler, type HandlerOutcome } from './handler.ts';
