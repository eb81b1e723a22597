/**
 * The signup baseline: a bare Express 5 route doing one parameterized INSERT through `pg` into a
 * table shaped like `subscribers` (same columns and indexes). No validation library, no logging,
 * no security headers, no job queue: the limit of this HTTP + database stack on this machine.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { serve } from '../processes';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });

async function main(): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS baseline_signups (
      id serial PRIMARY KEY,
      email varchar(254) NOT NULL UNIQUE,
      name varchar(100),
      status text NOT NULL DEFAULT 'pending',
      frequency text NOT NULL DEFAULT 'daily',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS baseline_signups_status_frequency_id ON baseline_signups (status, frequency, id);
    CREATE INDEX IF NOT EXISTS baseline_signups_status_created_at ON baseline_signups (status, created_at);`);

  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));
  app.post('/subscribe', async (req, res) => {
    const { email, name, frequency } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof email !== 'string' || !email.includes('@')) return void res.status(400).json({ error: 'email' });
    await pool.query(
      `INSERT INTO baseline_signups (email, name, frequency) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING`,
      [email.trim().toLowerCase(), typeof name === 'string' ? name : null, frequency === 'weekly' ? 'weekly' : 'daily'],
    );
    res.status(202).json({ status: 'received' });
  });
  const server = app.listen(0, '127.0.0.1', () => serve({}, { port: (server.address() as AddressInfo).port }));
  process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
}

void main();
