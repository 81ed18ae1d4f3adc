'use strict';
const express = require('express');
const db = require('../db');
const cache = require('../cache');
const { HttpError, asyncHandler, requireUuid, pagination, paged } = require('../http');

const router = express.Router();

async function findUser(id) {
  const result = await db.query(
    `SELECT id, email, user_type, first_name, last_name, is_verified, last_login, created_at FROM users WHERE id = $1`, [id]);
  if (!result.rowCount) throw new HttpError(404, 'User not found');
  return result.rows[0];
}

// Profiles are cached in Redis for an hour (users:profile:<id>).
router.get('/:id', asyncHandler(async (req, res) => {
  const id = requireUuid(req.params.id, 'id');
  const key = `users:profile:${id}`;
  const cached = await cache.getJson(key);
  if (cached) {
    res.set('X-Cache', 'HIT');
    return res.json(cached);
  }
  const user = await findUser(id);
  await cache.setJson(key, user, 3600);
  res.set('X-Cache', 'MISS');
  res.json(user);
}));

// A donor's history, newest first: the query the donor dashboard runs on every page view.
router.get('/:id/donations', asyncHandler(async (req, res) => {
  const id = requireUuid(req.params.id, 'id');
  await findUser(id);
  const page = pagination(req.query, 20);
  const [rows, count] = await Promise.all([
    db.query(`SELECT d.id, d.charity_id, c.name AS charity_name, d.project_id, d.amount, d.currency,
                     d.payment_status, d.is_recurring, d.created_at
                FROM donations d JOIN charities c ON c.id = d.charity_id
               WHERE d.donor_id = $1
               ORDER BY d.created_at DESC LIMIT $2 OFFSET $3`, [id, page.limit, page.offset]),
    db.query(`SELECT count(*)::int AS total FROM donations WHERE donor_id = $1`, [id]),
  ]);
  res.json(paged(rows.rows, count.rows[0].total, page));
}));

module.exports = router;
