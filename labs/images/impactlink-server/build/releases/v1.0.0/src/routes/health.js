'use strict';
const express = require('express');
const config = require('../config');
const db = require('../db');
const cache = require('../cache');
const logger = require('../logger');
const features = require('../features');

const router = express.Router();

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))]);
}

async function probe(name, fn) {
  try {
    await withTimeout(fn(), 2000);
    return 'ok';
  } catch (err) {
    logger.error(`health check: ${name} unavailable`, { error: err.message });
    return 'error';
  }
}

router.get('/', async (req, res) => {
  const [database, redis] = await Promise.all([
    probe('database', () => db.query('SELECT 1')),
    probe('cache', () => cache.ping()),
  ]);
  const healthy = database === 'ok' && redis === 'ok';
  res.status(healthy ? 200 : 503).json({
    status: healthy ? 'ok' : 'unhealthy',
    version: config.version,
    database,
    cache: redis,
    uptime: Math.round(process.uptime() * 10) / 10,
    timestamp: new Date().toISOString(),
    features: features.all(),
  });
});

module.exports = router;
