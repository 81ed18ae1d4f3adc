'use strict';
const config = require('./src/config');
const logger = require('./src/logger');
const db = require('./src/db');
const cache = require('./src/cache');
const { createApp } = require('./src/app');

const missing = config.required.filter((key) => !config.env[key]);
if (missing.length) {
  logger.error('missing required configuration', { missing });
  process.exit(1);
}

cache.connect();
const server = createApp().listen(config.port, config.host, () => {
  logger.info('ImpactLink API listening', { port: config.port, version: config.version, env: config.nodeEnv, host: config.host });
});

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  // Don't let a hung client keep the unit in "deactivating" forever.
  setTimeout(() => process.exit(0), 3000).unref();
  server.close(async () => {
    await Promise.allSettled([db.close(), cache.close()]);
    process.exit(0);
  });
  // Nginx keeps idle upstream keep-alive connections open; they would hold close() for seconds.
  server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { error: String(err && err.stack || err) }));
