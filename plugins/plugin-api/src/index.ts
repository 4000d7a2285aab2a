/**
 * The contract between Attest and its plugins. The engine depends on this package and on nothing a
 * plugin provides; a plugin depends on this package and on nothing of the engine.
 */
export { BpmnError, type ServiceContext, type ServiceHandler, type ServiceResult } from './serviceHandler.ts';
export { DeviceRefusal, type DeviceConnection, type DeviceConnector, type Reading } from './device.ts';
export { PLUGIN_API_VERSION, type PluginManifest } from './manifest.ts';
