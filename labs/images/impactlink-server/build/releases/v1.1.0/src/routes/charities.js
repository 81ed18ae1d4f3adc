'use strict';
const express = require('express');
const config = require('../config');
const db = require('../db');
const cache = require('../cache');
const { HttpError, asyncHandler, requireUuid, pagination, paged } = require('../http');

const router = express.Router();
const CATEGORIES = ['education', 'health', 'environment', 'poverty', 'animals', 'other'];
const COLUMNS = `id, name, description, category, province, city, registration_number, verification_status,
  website, section18a_approved, section18a_approved_at, total_donations_received, created_at`;

// Only verified charities are listed publicly, 20 per page.
router.get('/', asyncHandler(async (req, res) => {
  const page = pagination(req.query, 20);
  const category = req.query.category || null;
  if (category && !CATEGORIES.includes(category)) throw new HttpError(400, `category must be one of ${CATEGORIES.join(', ')}`);
  const province = req.query.province || null;
  // ?section18a=true lists only charities that can issue tax receipts.
  const s18a = req.query.section18a === undefined ? null : req.query.section18a === 'true';

  const key = `charities:list:${category || '*'}:${province || '*'}:${s18a ?? '*'}:${page.page}:${page.limit}`;
  const cached = await cache.getJson(key);
  if (cached) {
    res.set('X-Cache', 'HIT');
    return res.json(cached);
  }

  const where = `verification_status = 'verified' AND ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR province = $2)
    AND ($3::boolean IS NULL OR section18a_approved = $3)`;
  const [rows, count] = await Promise.all([
    db.query(`SELECT ${COLUMNS} FROM charities WHERE ${where} ORDER BY name LIMIT $4 OFFSET $5`, [category, province, s18a, page.limit, page.offset]),
    db.query(`SELECT count(*)::int AS total FROM charities WHERE ${where}`, [category, province, s18a]),
  ]);
  const body = paged(rows.rows, count.rows[0].total, page);
  await cache.setJson(key, body, config.cacheTtlCharities);
  res.set('X-Cache', 'MISS');
  res.json(body);
}));

router.get('/:id', asyncHandler(async (req, res) => {
  const id = requireUuid(req.params.id, 'id');
  const charity = await db.query(`SELECT ${COLUMNS} FROM charities WHERE id = $1`, [id]);
  if (!charity.rowCount) throw new HttpError(404, 'Charity not found');
  const [projects, stats] = await Promise.all([
    db.query(`SELECT id, title, status, target_amount, raised_amount, unit_cost, unit_name
                FROM projects WHERE charity_id = $1 ORDER BY created_at`, [id]),
    db.query(`SELECT count(*)::int AS donations, coalesce(sum(amount), 0) AS total_amount,
                     count(DISTINCT donor_id)::int AS donors, max(created_at) AS last_donation_at
                FROM donations WHERE charity_id = $1 AND payment_status = 'completed'`, [id]),
  ]);
  res.json({ ...charity.rows[0], projects: projects.rows, stats: stats.rows[0] });
}));

module.exports = router;
