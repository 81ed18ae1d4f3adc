#!/usr/bin/env node
'use strict';
// Applies migrations/NNN_name.sql in order, one transaction each, recorded in schema_migrations.
// Usage: node bin/migrate.js [up|status]
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Client } = require('pg');
const { loadEnv } = require('../src/config');

const DIR = path.join(__dirname, '..', 'migrations');
const LOCK_ID = 727001; // any constant: serialises concurrent runners

function available() {
  return fs.readdirSync(DIR)
    .map((file) => file.match(/^(\d{3,})_([\w-]+)\.sql$/))
    .filter(Boolean)
    .map(([file, version, name]) => {
      const sql = fs.readFileSync(path.join(DIR, file), 'utf8');
      return { version, name, file, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version.localeCompare(b.version));
}

async function main() {
  const command = process.argv[2] || 'up';
  if (!['up', 'status'].includes(command)) {
    console.error('usage: migrate.js [up|status]');
    process.exit(2);
  }
  const client = new Client({ connectionString: loadEnv().DATABASE_URL, application_name: 'impactlink-migrate' });
  await client.connect();
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
  const applied = new Map((await client.query('SELECT version, name, checksum, applied_at FROM schema_migrations')).rows
    .map((row) => [row.version, row]));
  const files = available();
  const known = new Set(files.map((m) => m.version));

  if (command === 'status') {
    for (const m of files) {
      const row = applied.get(m.version);
      const state = !row ? 'pending' : row.checksum === m.checksum ? `applied ${row.applied_at.toISOString()}` : 'applied (CHECKSUM CHANGED)';
      console.log(`${m.version}_${m.name}  ${state}`);
    }
    for (const [version, row] of applied) {
      if (!known.has(version)) console.log(`${version}_${row.name}  applied, NOT IN THIS RELEASE`);
    }
    await client.end();
    return;
  }

  let count = 0;
  for (const m of files) {
    const row = applied.get(m.version);
    if (row) {
      if (row.checksum !== m.checksum) console.warn(`warning: ${m.file} changed after it was applied`);
      continue;
    }
    const started = Date.now();
    process.stdout.write(`applying ${m.file} ... `);
    try {
      await client.query('BEGIN');
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      console.log('FAILED');
      throw new Error(`${m.file}: ${err.message}`);
    }
    console.log(`done (${Date.now() - started} ms)`);
    count += 1;
  }
  console.log(count ? `${count} migration(s) applied` : 'database schema is up to date');
  await client.end();
}

main().catch((err) => {
  console.error(`migration failed: ${err.message}`);
  process.exit(1);
});
