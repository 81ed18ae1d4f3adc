'use strict';
// Login, logout, the current user, registration and password reset.
// Login attempts are rate-limited in Redis per client address and per e-mail address
// (RATE_LIMIT_LOGIN_PER_MINUTE, default 5; 0 switches the limiter off): the 6th attempt within a
// minute gets 429 with Retry-After. The client address is the real one: Express trusts
// X-Forwarded-For only from loopback (Nginx on this server).
const crypto = require('crypto');
const express = require('express');
const config = require('../config');
const db = require('../db');
const cache = require('../cache');
const logger = require('../logger');
const auth = require('../auth');
const ratelimit = require('../ratelimit');
const { requireFeature } = require('../features');
const { HttpError, asyncHandler } = require('../http');

const router = express.Router();
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PROFILE_TTL = 3600;

function loginLimit() {
  const raw = config.env.RATE_LIMIT_LOGIN_PER_MINUTE;
  const n = raw === undefined || raw === '' ? 5 : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 5;
}

function credentials(body) {
  const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
  const password = typeof body.password === 'string' ? body.password : '';
  return { email, password };
}

router.post('/login', asyncHandler(async (req, res) => {
  const { email, password } = credentials(req.body || {});
  const limit = await ratelimit.hit('login', { ip: req.ip, email }, loginLimit());
  if (limit.limited) {
    logger.warn('login rate limit exceeded', { ip: req.ip, email });
    res.set('Retry-After', String(limit.retryAfter));
    return res.status(429).json({ error: 'Too many login attempts, try again later', retry_after: limit.retryAfter, path: req.originalUrl });
  }
  if (!email || !password) throw new HttpError(400, 'email and password are required');

  const found = await db.query(
    `SELECT id, email, password_hash, user_type, first_name, last_name FROM users WHERE email = $1`, [email]);
  const user = found.rows[0];
  const ok = await auth.verifyPassword(password, user ? user.password_hash : null);
  if (!user || !ok) {
    logger.warn('login failed', { ip: req.ip, email });
    return res.status(401).json({ error: 'Invalid email or password', path: req.originalUrl });
  }
  await db.query(`UPDATE users SET last_login = now() WHERE id = $1`, [user.id]);
  const sid = crypto.randomBytes(16).toString('hex');
  await cache.setJson(`session:${sid}`, { user_id: user.id, ip: req.ip, created_at: new Date().toISOString() }, auth.TOKEN_TTL_SECONDS);
  const token = auth.signToken({ sub: user.id, email: user.email, role: user.user_type, sid });
  logger.info('login succeeded', { ip: req.ip, user_id: user.id });
  res.json({
    token,
    token_type: 'Bearer',
    expires_in: auth.TOKEN_TTL_SECONDS,
    user: { id: user.id, email: user.email, user_type: user.user_type, first_name: user.first_name, last_name: user.last_name },
  });
}));

// The signed token must be valid and its session still in Redis.
async function authenticate(req) {
  const header = req.get('authorization') || '';
  const claims = auth.verifyToken(header.replace(/^Bearer\s+/i, ''));
  if (!claims) throw new HttpError(401, 'Authentication required');
  if (!cache.client.isReady || !(await cache.client.exists(`session:${claims.sid}`))) {
    throw new HttpError(401, 'Session expired');
  }
  return claims;
}

router.get('/me', asyncHandler(async (req, res) => {
  const claims = await authenticate(req);
  const key = `users:profile:${claims.sub}`;
  const cached = await cache.getJson(key);
  if (cached) {
    res.set('X-Cache', 'HIT');
    return res.json(cached);
  }
  const result = await db.query(
    `SELECT id, email, user_type, first_name, last_name, is_verified, last_login, created_at FROM users WHERE id = $1`, [claims.sub]);
  if (!result.rowCount) throw new HttpError(401, 'Authentication required');
  await cache.setJson(key, result.rows[0], PROFILE_TTL);
  res.set('X-Cache', 'MISS');
  res.json(result.rows[0]);
}));

router.post('/logout', asyncHandler(async (req, res) => {
  const claims = await authenticate(req);
  await cache.client.del(`session:${claims.sid}`);
  res.status(204).end();
}));

router.post('/register', requireFeature('ENABLE_REGISTRATION'), asyncHandler(async (req, res) => {
  const body = req.body || {};
  const { email, password } = credentials(body);
  if (!EMAIL_RE.test(email)) throw new HttpError(400, 'a valid email is required');
  if (password.length < 8) throw new HttpError(400, 'password must be at least 8 characters');
  const first = String(body.first_name || '').trim().slice(0, 100);
  const last = String(body.last_name || '').trim().slice(0, 100);
  if (!first || !last) throw new HttpError(400, 'first_name and last_name are required');
  const hash = await auth.hashPassword(password);
  const inserted = await db.query(
    `INSERT INTO users (email, password_hash, user_type, first_name, last_name)
     VALUES ($1, $2, 'donor', $3, $4) ON CONFLICT (email) DO NOTHING
     RETURNING id, email, user_type, first_name, last_name, created_at`, [email, hash, first, last]);
  if (!inserted.rowCount) throw new HttpError(409, 'An account with this email already exists');
  logger.info('user registered', { user_id: inserted.rows[0].id });
  res.status(201).json(inserted.rows[0]);
}));

// Always 202 with the same answer, whether or not the account exists (no account enumeration).
// For a real account a one-time reset token is kept in Redis for an hour (the mail is simulated).
router.post('/password-reset', requireFeature('ENABLE_PASSWORD_RESET'), asyncHandler(async (req, res) => {
  const { email } = credentials(req.body || {});
  const limit = await ratelimit.hit('password-reset', { ip: req.ip, email }, loginLimit());
  if (!limit.limited && EMAIL_RE.test(email)) {
    const found = await db.query(`SELECT id FROM users WHERE email = $1`, [email]);
    if (found.rowCount) {
      const token = crypto.randomBytes(24).toString('hex');
      const digest = crypto.createHash('sha256').update(token).digest('hex');
      await cache.setJson(`password-reset:${digest}`, { user_id: found.rows[0].id }, 3600);
      logger.info('password reset requested', { user_id: found.rows[0].id, ip: req.ip });
    }
  }
  res.status(202).json({ message: 'If an account exists for that address, a password reset link has been sent.' });
}));

module.exports = router;
