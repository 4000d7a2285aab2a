export { loadConfig, ConfigError, type RuntimeConfig } from './config.ts';
export { startServer } from './server.ts';
export { createApp } from './http/app.ts';
export { seedDemoTemplates } from './demoTemplates.ts';
export { SHIPPED_TEMPLATES, WEB_DIST } from './paths.ts';
