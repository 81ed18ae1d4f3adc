'use strict';
const { Pool } = require('pg');
const config = require('./config');
const logger = require('./logger');

function describe(url) {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch (err) {
    return '(default)';
  }
}

logger.info('connecting to PostgreSQL', { database: describe(config.databaseUrl) });
const pool = new Pool({
  connectionString: config.databaseUrl,
  max: config.dbPoolMax,
  idleTimeoutMillis: 30000,
  connectionTimeoutMillis: 2000,
  application_name: 'impactlink-api',
});
pool.on('error', (err) => logger.error('idle PostgreSQL client error', { error: err.message }));

module.exports = {
  pool,
  query: (text, params) => pool.query(text, params),
  async withTransaction(fn) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  },
  close: () => pool.end(),
};
