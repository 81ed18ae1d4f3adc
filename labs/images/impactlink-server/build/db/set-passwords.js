'use strict';
// Build step: give every seeded user a real scrypt password hash (the same format the API's
// src/auth.js writes), all for the one password passed in SEED_PASSWORD. Lighter scrypt cost than
// new accounts get (N=4096 instead of 16384) so 2,000 hashes take seconds; the cost is stored in
// each hash, so the API verifies either.
const crypto = require('crypto');
const { Client } = require('pg');

const password = process.env.SEED_PASSWORD;
if (!password) throw new Error('SEED_PASSWORD is not set');
const params = { N: 4096, r: 8, p: 1 };

function hash(pw) {
  const salt = crypto.randomBytes(16);
  return new Promise((resolve, reject) => crypto.scrypt(pw, salt, 32, params, (err, key) => (err ? reject(err)
    : resolve(['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$')))));
}

(async () => {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const ids = (await db.query('SELECT id FROM users ORDER BY id')).rows.map((r) => r.id);
  const hashes = await Promise.all(ids.map(() => hash(password)));
  await db.query(`UPDATE users u SET password_hash = v.h FROM unnest($1::uuid[], $2::text[]) AS v(id, h) WHERE u.id = v.id`, [ids, hashes]);
  console.log(`set password hashes for ${ids.length} users`);
  await db.end();
})().catch((err) => { console.error(err); process.exit(1); });
