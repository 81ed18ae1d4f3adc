'use strict';
const express = require('express');
const logger = require('./logger');
const { HttpError } = require('./http');

function accessLog(req, res, next) {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    logger.access({
      ip: req.ip,
      method: req.method,
      path: req.originalUrl,
      status: res.statusCode,
      bytes: Number(res.getHeader('content-length') || 0),
      duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      user_agent: req.get('user-agent') || '',
    });
  });
  next();
}

function createApp() {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(accessLog);
  app.use(express.json({ limit: '10mb' }));

  // Legacy shallow check kept for the old uptime monitor: it never touches the database.
  app.get('/health', (req, res) => {
    res.json({ status: 'OK', timestamp: new Date().toISOString(), uptime: process.uptime(), environment: process.env.NODE_ENV || 'production' });
  });

  app.use('/api/v1/health', require('./routes/health'));
  app.use('/api/v1/charities', require('./routes/charities'));
  app.use('/api/v1/projects', require('./routes/projects'));
  app.use('/api/v1/donations', require('./routes/donations'));
  app.use('/api/v1/users', require('./routes/users'));
  app.use('/api/v1/auth', require('./routes/auth'));
  app.use('/api/v1/stats', require('./routes/stats'));

  app.use((req, res) => res.status(404).json({ error: 'Not found', path: req.originalUrl }));
  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    const status = err instanceof HttpError ? err.status : err.status || 500;
    if (status >= 500) {
      logger.error('request failed', { method: req.method, path: req.originalUrl, error: err.message, stack: err.stack });
    }
    res.status(status).json({ error: status >= 500 ? 'Internal server error' : err.message, path: req.originalUrl });
  });
  return app;
}

module.exports = { createApp };
