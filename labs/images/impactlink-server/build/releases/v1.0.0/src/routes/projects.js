'use strict';
const express = require('express');
const db = require('../db');
const cache = require('../cache');
const { HttpError, asyncHandler, requireUuid, optionalUuid, pagination, paged } = require('../http');

const router = express.Router();
const COLUMNS = `p.id, p.charity_id, c.name AS charity_name, p.title, p.description, p.status, p.target_amount,
  p.raised_amount, p.unit_cost, p.unit_name, p.start_date, p.end_date, p.created_at`;

// 12 per page, like the project cards on the website.
router.get('/', asyncHandler(async (req, res) => {
  const page = pagination(req.query, 12);
  const charityId = optionalUuid(req.query.charity_id, 'charity_id');
  const status = req.query.status || null;
  // Project lists are cached in Redis for 5 minutes (projects:list:...).
  const key = `projects:list:${charityId || '*'}:${status || '*'}:${page.page}:${page.limit}`;
  const cached = await cache.getJson(key);
  if (cached) {
    res.set('X-Cache', 'HIT');
    return res.json(cached);
  }
  const where = `($1::uuid IS NULL OR p.charity_id = $1) AND ($2::text IS NULL OR p.status = $2)`;
  const [rows, count] = await Promise.all([
    db.query(`SELECT ${COLUMNS} FROM projects p JOIN charities c ON c.id = p.charity_id
               WHERE ${where} ORDER BY p.created_at DESC LIMIT $3 OFFSET $4`, [charityId, status, page.limit, page.offset]),
    db.query(`SELECT count(*)::int AS total FROM projects p WHERE ${where}`, [charityId, status]),
  ]);
  const body = paged(rows.rows, count.rows[0].total, page);
  await cache.setJson(key, body, 300);
  res.set('X-Cache', 'MISS');
  res.json(body);
}));

router.get('/:id', asyncHandler(async (req, res) => {
  const id = requireUuid(req.params.id, 'id');
  const result = await db.query(`SELECT ${COLUMNS} FROM projects p JOIN charities c ON c.id = p.charity_id WHERE p.id = $1`, [id]);
  if (!result.rowCount) throw new HttpError(404, 'Project not found');
  res.json(result.rows[0]);
}));

module.exports = router;
