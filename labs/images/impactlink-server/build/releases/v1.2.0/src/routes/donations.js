'use strict';
const crypto = require('crypto');
const express = require('express');
const db = require('../db');
const logger = require('../logger');
const features = require('../features');
const { HttpError, asyncHandler, requireUuid, optionalUuid, pagination, paged } = require('../http');

const router = express.Router();
const METHODS = ['credit_card', 'debit_card', 'bank_transfer'];
const FREQUENCIES = ['monthly', 'quarterly', 'yearly'];
const COLUMNS = `d.id, CASE WHEN d.is_anonymous THEN NULL ELSE d.donor_id END AS donor_id, d.charity_id, d.project_id,
  d.amount, d.currency, d.transaction_fee, d.net_amount, d.payment_method, d.payment_status,
  d.is_recurring, d.recurring_frequency, d.is_anonymous, d.dedication, d.created_at`;

router.get('/', asyncHandler(async (req, res) => {
  const page = pagination(req.query, 20);
  const filters = [];
  const params = [];
  for (const column of ['charity_id', 'donor_id', 'project_id']) {
    const value = optionalUuid(req.query[column], column);
    if (value) {
      params.push(value);
      filters.push(`d.${column} = $${params.length}`);
    }
  }
  const where = filters.length ? `WHERE ${filters.join(' AND ')}` : '';
  const [rows, count] = await Promise.all([
    db.query(`SELECT ${COLUMNS} FROM donations d ${where} ORDER BY d.created_at DESC
               LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, page.limit, page.offset]),
    db.query(`SELECT count(*)::int AS total FROM donations d ${where}`, params),
  ]);
  res.json(paged(rows.rows, count.rows[0].total, page));
}));

// Recurring donations (debit orders): a feature behind ENABLE_RECURRING_DONATIONS.
router.get('/recurring', features.requireFeature('ENABLE_RECURRING_DONATIONS'), asyncHandler(async (req, res) => {
  const page = pagination(req.query, 20);
  const donorId = optionalUuid(req.query.donor_id, 'donor_id');
  const where = `d.is_recurring AND ($1::uuid IS NULL OR d.donor_id = $1)`;
  const [rows, count] = await Promise.all([
    db.query(`SELECT ${COLUMNS} FROM donations d WHERE ${where} ORDER BY d.created_at DESC LIMIT $2 OFFSET $3`,
      [donorId, page.limit, page.offset]),
    db.query(`SELECT count(*)::int AS total FROM donations d WHERE ${where}`, [donorId]),
  ]);
  res.json(paged(rows.rows, count.rows[0].total, page));
}));

router.get('/:id', asyncHandler(async (req, res) => {
  const id = requireUuid(req.params.id, 'id');
  const result = await db.query(`SELECT ${COLUMNS} FROM donations d WHERE d.id = $1`, [id]);
  if (!result.rowCount) throw new HttpError(404, 'Donation not found');
  res.json(result.rows[0]);
}));

// Payment capture is simulated (no Stripe in this environment); donations are stored as completed.
router.post('/', asyncHandler(async (req, res) => {
  const body = req.body || {};
  const charityId = requireUuid(body.charity_id, 'charity_id');
  const projectId = optionalUuid(body.project_id, 'project_id');
  const donorId = optionalUuid(body.donor_id, 'donor_id');
  const amount = Math.round(Number(body.amount) * 100) / 100;
  if (!Number.isFinite(amount) || amount < 1 || amount > 1000000) throw new HttpError(400, 'amount must be between R1 and R1,000,000');
  const currency = String(body.currency || 'ZAR').toUpperCase();
  if (currency !== 'ZAR') throw new HttpError(400, 'only ZAR donations are supported');
  const method = body.payment_method || 'credit_card';
  if (!METHODS.includes(method)) throw new HttpError(400, `payment_method must be one of ${METHODS.join(', ')}`);
  const recurring = Boolean(body.is_recurring);
  if (recurring && !features.enabled('ENABLE_RECURRING_DONATIONS')) throw new HttpError(422, 'recurring donations are not available');
  const frequency = recurring ? body.recurring_frequency || 'monthly' : null;
  if (recurring && !FREQUENCIES.includes(frequency)) throw new HttpError(400, `recurring_frequency must be one of ${FREQUENCIES.join(', ')}`);
  const dedication = body.dedication ? String(body.dedication).slice(0, 280) : null;
  const fee = method === 'bank_transfer' ? 0 : Math.round((amount * 0.029 + 2) * 100) / 100;

  const donation = await db.withTransaction(async (client) => {
    const charity = await client.query(`SELECT verification_status FROM charities WHERE id = $1`, [charityId]);
    if (!charity.rowCount) throw new HttpError(404, 'Charity not found');
    if (charity.rows[0].verification_status !== 'verified') throw new HttpError(422, 'Charity is not verified');
    if (projectId) {
      const project = await client.query(`SELECT 1 FROM projects WHERE id = $1 AND charity_id = $2`, [projectId, charityId]);
      if (!project.rowCount) throw new HttpError(422, 'Project does not belong to this charity');
    }
    if (donorId) {
      const donor = await client.query(`SELECT 1 FROM users WHERE id = $1`, [donorId]);
      if (!donor.rowCount) throw new HttpError(422, 'Donor not found');
    }
    const inserted = await client.query(
      `INSERT INTO donations (donor_id, charity_id, project_id, amount, currency, transaction_fee, net_amount,
                              payment_method, payment_status, stripe_payment_intent_id, is_recurring,
                              recurring_frequency, is_anonymous, dedication)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'completed', $9, $10, $11, $12, $13)
       RETURNING id, donor_id, charity_id, project_id, amount, currency, transaction_fee, net_amount,
                 payment_method, payment_status, is_recurring, recurring_frequency, is_anonymous, dedication, created_at`,
      [donorId, charityId, projectId, amount, currency, fee, amount - fee, method,
        `pi_sim_${crypto.randomBytes(12).toString('hex')}`, recurring, frequency, Boolean(body.is_anonymous), dedication]);
    await client.query(`UPDATE charities SET total_donations_received = total_donations_received + $2, updated_at = now() WHERE id = $1`, [charityId, amount]);
    if (projectId) {
      await client.query(`UPDATE projects SET raised_amount = raised_amount + $2, updated_at = now() WHERE id = $1`, [projectId, amount]);
    }
    return inserted.rows[0];
  });
  logger.info('donation received', { donation_id: donation.id, charity_id: charityId, amount });
  res.status(201).json(donation);
}));

module.exports = router;
