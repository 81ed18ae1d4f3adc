'use strict';
const fs = require('fs');
const path = require('path');
const config = require('./config');

const LEVELS = { error: 0, warn: 1, info: 2, http: 3, debug: 4 };
const threshold = LEVELS[config.logLevel] ?? LEVELS.info;

// O_APPEND streams survive logrotate's copytruncate without reopening.
function open(name) {
  try {
    fs.mkdirSync(config.logDir, { recursive: true });
    return fs.createWriteStream(path.join(config.logDir, name), { flags: 'a' });
  } catch (err) {
    process.stderr.write(`cannot open ${name}: ${err.message}\n`);
    return null;
  }
}
const files = { app: open('app.log'), error: open('error.log'), access: open('access.log') };

function write(stream, record) {
  if (stream) stream.write(JSON.stringify(record) + '\n');
}

function log(level, message, meta = {}) {
  if (LEVELS[level] > threshold) return;
  const record = { timestamp: new Date().toISOString(), level, message, ...meta };
  write(files.app, record);
  if (level === 'error') write(files.error, record);
  // stdout is what `journalctl -u impactlink-api` shows.
  process.stdout.write(`${record.timestamp} ${level.toUpperCase()} ${message}${Object.keys(meta).length ? ' ' + JSON.stringify(meta) : ''}\n`);
}

module.exports = {
  error: (m, meta) => log('error', m, meta),
  warn: (m, meta) => log('warn', m, meta),
  info: (m, meta) => log('info', m, meta),
  debug: (m, meta) => log('debug', m, meta),
  access: (record) => write(files.access, { timestamp: new Date().toISOString(), ...record }),
};
