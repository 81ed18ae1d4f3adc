'use strict';
// Platform statistics for the home page, cached in Redis for 5 minutes (stats:platform).
const express = require('express');
const db = require('../db');
const cache = require('../cache');
const { asyncHandler } = require('../http');

const router = express.Router();
const KEY = 'stats:platform';
const TTL = 300;

router.get('/', asyncHandler(async (req, res) => {
  const cached = await cache.getJson(KEY);
  if (cached) {
    res.set('X-Cache', 'HIT');
    return res.json(cached);
  }
  const result = await db.query(`
    SELECT (SELECT count(*)::int FROM charities WHERE verification_status = 'verified') AS verified_charities,
           (SELECT count(*)::int FROM projects WHERE status = 'active') AS active_projects,
           count(*)::int AS donations, coalesce(sum(amount), 0) AS total_amount,
           count(DISTINCT donor_id)::int AS donors
      FROM donations WHERE payment_status = 'completed'`);
  const body = { ...result.rows[0], currency: 'ZAR', generated_at: new Date().toISOString() };
  await cache.setJson(KEY, body, TTL);
  res.set('X-Cache', 'MISS');
  res.json(body);
}));

module.exports = router;
