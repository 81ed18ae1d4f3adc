'use strict';
// Feature flags from .env: ENABLE_<NAME>=true|false. Every ENABLE_* setting is reported by
// /api/v1/health under `features` (password_reset, recurring_donations, registration, ...);
// a disabled feature's routes answer 404 as if they did not exist.
const config = require('./config');

const KNOWN = ['ENABLE_REGISTRATION', 'ENABLE_PASSWORD_RESET', 'ENABLE_RECURRING_DONATIONS'];
const OFF = ['false', '0', 'no', 'off', ''];

function enabled(key) {
  const value = config.env[key];
  if (value === undefined) return true; // a release that adds a flag keeps the feature on
  return !OFF.includes(String(value).trim().toLowerCase());
}

function all() {
  const keys = new Set([...KNOWN, ...Object.keys(config.env).filter((k) => /^ENABLE_[A-Z0-9_]+$/.test(k))]);
  const out = {};
  for (const key of [...keys].sort()) out[key.slice('ENABLE_'.length).toLowerCase()] = enabled(key);
  return out;
}

// Express middleware: the route does not exist while its feature is off.
function requireFeature(key) {
  return (req, res, next) => {
    if (enabled(key)) return next();
    res.status(404).json({ error: 'Not found', path: req.originalUrl });
  };
}

module.exports = { enabled, all, requireFeature };
