'use strict';
// Fixed-window rate limits kept in Redis (INCR + EXPIRE), shared by every API process:
// keys ratelimit:<name>:<what>:<value>, one window of `windowSeconds`.
const cache = require('./cache');
const logger = require('./logger');

// Counts one attempt against each key; resolves to { limited, retryAfter } (seconds).
async function hit(name, subjects, limit, windowSeconds = 60) {
  if (!(limit > 0)) return { limited: false, retryAfter: 0 };
  if (!cache.client.isReady) {
    logger.warn('rate limiter unavailable (Redis down): request allowed', { limiter: name });
    return { limited: false, retryAfter: 0 };
  }
  let limited = false;
  let retryAfter = 0;
  try {
    for (const [what, value] of Object.entries(subjects)) {
      if (!value) continue;
      const key = `ratelimit:${name}:${what}:${String(value).toLowerCase()}`;
      const count = await cache.client.incr(key);
      let ttl = await cache.client.ttl(key);
      if (count === 1 || ttl < 0) {
        await cache.client.expire(key, windowSeconds);
        ttl = windowSeconds;
      }
      if (count > limit) {
        limited = true;
        retryAfter = Math.max(retryAfter, ttl, 1);
      }
    }
  } catch (err) {
    logger.warn('rate limiter failed: request allowed', { limiter: name, error: err.message });
    return { limited: false, retryAfter: 0 };
  }
  return { limited, retryAfter };
}

module.exports = { hit };
