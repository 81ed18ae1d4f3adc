'use strict';
const fs = require('fs');
const path = require('path');

const APP_ROOT = path.resolve(__dirname, '..');

// dotenv semantics without the dependency: real environment variables win over .env.
function loadEnv(file = path.join(APP_ROOT, '.env')) {
  const env = {};
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
      if (m) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return { ...env, ...process.env };
}

const env = loadEnv();
const pkg = require(path.join(APP_ROOT, 'package.json'));

module.exports = {
  loadEnv,
  env,
  required: ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET'],
  version: pkg.version,
  nodeEnv: env.NODE_ENV || 'development',
  port: Number(env.PORT || 5000),
  // Loopback only, as in production: Nginx on the same server is the only client.
  host: env.HOST || '127.0.0.1',
  databaseUrl: env.DATABASE_URL,
  dbPoolMax: Number(env.DB_POOL_MAX || 10),
  redisUrl: env.REDIS_URL,
  logDir: env.LOG_DIR || '/var/log/impactlink',
  logLevel: env.LOG_LEVEL || 'info',
  cacheTtlCharities: Number(env.CACHE_TTL_CHARITIES || 7200),
};
