export { loadConfig, ConfigError, type RuntimeConfig } from './config.ts';
export { startServer } from './server.ts';
export { createApp } from './http/app.ts';
