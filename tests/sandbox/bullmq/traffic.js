// BullMQ traffic for the pilothouse sandbox: the real `bullmq` library against the
// sandbox's real Redis. One process plays one role:
//
//   ROLE=producer  QUEUES=order-sync,prints,labels   adds jobs to every queue, steadily
//   ROLE=worker    QUEUES=prints                      consumes the queues it is given
//   ROLE=counts    QUEUES=prints                      prints Queue.getJobCounts() as JSON
//
// REDIS_PORT (127.0.0.1), REDIS_PASSWORD (when Redis wants one), PREFIX (default bull),
// RATE (jobs per second per queue, 2), PORT (an HTTP /health/ready that answers 200
// while the Redis connection is ready).
// Workers complete most jobs, fail about one in ten with a reason, and can be told from
// outside (files under /tmp/control, cleared when the process starts):
//   stop-<queue>   stop consuming <queue> (the worker's connections close)
//   fail-all       every job fails
//   slow           every job takes 3 s, one at a time: the queue falls behind
//   stop-producing the producer adds nothing (so that counts can settle)
'use strict';
const fs = require('fs');
const http = require('http');
const { Queue, Worker } = require('bullmq');

const role = process.env.ROLE || 'worker';
const queues = (process.env.QUEUES || '').split(',').filter(Boolean);
const prefix = process.env.PREFIX || 'bull';
const rate = Number(process.env.RATE || 2);
const connection = {
  host: '127.0.0.1',
  port: Number(process.env.REDIS_PORT || 6379),
  password: process.env.REDIS_PASSWORD || undefined,
  maxRetriesPerRequest: null,
};
const control = (name) => fs.existsSync(`/tmp/control/${name}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (...a) => console.log(new Date().toISOString(), ...a);

const REASONS = [
  'printer offline: no answer from 10.0.4.21',
  'carrier API 503 Service Unavailable',
  'order 4471 not found in the shop',
];

// Ready while a small read through the queue's connection succeeded in the last 5 s.
let lastOk = 0;
const ready = () => Date.now() - lastOk < 5000;
function probe(q) {
  setInterval(() => {
    q.getJobCounts('active').then(() => (lastOk = Date.now()), () => {});
  }, 1000);
}
function serveHealth() {
  if (!process.env.PORT) return;
  http
    .createServer((req, res) => {
      // The same shape as the demo services' health (tests/sandbox/demo-service).
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: ok ? 'ok' : 'redis not ready',
          version: 'bullmq-6.7.0',
          build: { number: '1', commit: '6a7b8c9', date: '2026-11-30T10:00:00Z' },
          uptime: Math.round(process.uptime()),
        }) + '\n',
      );
    })
    .listen(Number(process.env.PORT), '127.0.0.1');
}

async function producer() {
  const qs = queues.map((name) => new Queue(name, { connection, prefix }));
  probe(qs[0]);
  let n = 0;
  setInterval(() => {
    if (control('stop-producing')) return;
    for (const q of qs) {
      n += 1;
      const opts = {
        attempts: 2,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 500 },
      };
      if (n % 7 === 0) opts.delay = 30000;
      if (n % 11 === 0) opts.priority = 5;
      q.add(`${q.name}-job`, { n, at: Date.now() }, opts).catch((e) => say('add failed:', e.message));
    }
  }, Math.max(50, Math.round(1000 / rate)));
  say(`producer: ${queues.join(', ')} at ${rate}/s each`);
}

async function processJob(job) {
  if (control('slow')) await sleep(3000);
  else await sleep(20 + Math.floor(Math.random() * 80));
  if (control('fail-all') || job.data.n % 10 === 3) {
    throw new Error(REASONS[job.data.n % REASONS.length]);
  }
  return { done: job.data.n };
}

function startWorker(name) {
  const w = new Worker(name, processJob, {
    connection,
    prefix,
    concurrency: control('slow') ? 1 : 4,
    name: process.env.WORKER_NAME || `${name}-worker`,
  });
  w.on('failed', (job, err) => say(`failed ${name} ${job && job.id}: ${err.message}`));
  w.on('error', (err) => say(`worker ${name}: ${err.message}`));
  return w;
}

async function worker() {
  const running = new Map();
  probe(new Queue(queues[0], { connection, prefix }));
  for (;;) {
    for (const name of queues) {
      const stop = control(`stop-${name}`);
      if (stop && running.has(name)) {
        await running.get(name).close();
        running.delete(name);
        say(`stopped consuming ${name}`);
      } else if (!stop && !running.has(name)) {
        running.set(name, startWorker(name));
        say(`consuming ${name}`);
      }
    }
    await sleep(1000);
  }
}

async function counts() {
  const out = {};
  for (const name of queues) {
    const q = new Queue(name, { connection, prefix });
    out[name] = await q.getJobCounts();
    out[name].paused = await q.isPaused();
    await q.close();
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

process.on('SIGTERM', () => process.exit(0));
if (role !== 'counts') {
  fs.rmSync('/tmp/control', { recursive: true, force: true });
  fs.mkdirSync('/tmp/control', { recursive: true });
  serveHealth();
}
const roles = { producer, worker, counts };
(roles[role] || worker)().catch((e) => {
  say('fatal:', e.message);
  process.exit(1);
});
