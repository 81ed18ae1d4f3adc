'use strict';
// The core client of node-redis 4, without the RedisJSON/Search/... modules `redis` also loads.
const { createClient } = require('@redis/client');
const config = require('./config');
const logger = require('./logger');

const client = createClient({
  url: config.redisUrl,
  // Fail fast instead of queueing commands while Redis is away: the API falls back to PostgreSQL.
  disableOfflineQueue: true,
  socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(100 * (retries + 1), 2000) },
});
let lastError = '';
client.on('error', (err) => {
  if (err.message !== lastError) logger.error('Redis error', { error: err.message });
  lastError = err.message;
});
client.on('ready', () => {
  lastError = '';
  logger.info('connected to Redis');
});

module.exports = {
  client,
  connect() {
    client.connect().catch((err) => logger.error('Redis connect failed', { error: err.message }));
  },
  async getJson(key) {
    if (!client.isReady) return null;
    try {
      const raw = await client.get(key);
      return raw ? JSON.parse(raw) : null;
    } catch (err) {
      logger.warn('cache read failed', { key, error: err.message });
      return null;
    }
  },
  async setJson(key, value, ttlSeconds) {
    if (!client.isReady) return;
    try {
      await client.set(key, JSON.stringify(value), { EX: ttlSeconds });
    } catch (err) {
      logger.warn('cache write failed', { key, error: err.message });
    }
  },
  // Right after start the first connect may still be in flight: give it a moment before failing.
  async ping() {
    if (!client.isReady && client.isOpen) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 1000);
        client.once('ready', () => { clearTimeout(timer); resolve(); });
      });
    }
    return client.ping();
  },
  async close() {
    if (client.isOpen) await client.quit();
  },
};
