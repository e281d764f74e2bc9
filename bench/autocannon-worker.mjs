// The autocannon load generator, run as a process of its own so that it never shares an event loop
// with the harness. Reads a job (see load.mjs) from the JSON file named by argv[2] and prints one
// line "BENCH_JSON {...}" in the shape the wrk script prints (latencies in microseconds).
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function roundRobin(list) {
  let position = 0;
  return (request) => {
    const next = list[position];
    position = (position + 1) % list.length;
    return { ...request, ...next };
  };
}

// Each in-flight request holds one token; every 2xx answer gives its new token back to the pool.
function tokenChain({ template, tokens, field }) {
  const pool = [...tokens];
  return {
    ...template,
    setupRequest: (request) => ({
      ...request,
      body: template.body.replace('%TOKEN%', pool.pop() ?? 'exhausted'),
    }),
    onResponse: (status, body) => {
      if (status < 200 || status > 299) return;
      const token = JSON.parse(body)[field];
      if (typeof token === 'string') pool.push(token);
    },
  };
}

// "%UNIQUE%" in the body takes the run's prefix and a counter: no two requests repeat it.
function unique({ template, prefix }) {
  let sequence = 0;
  return {
    ...template,
    setupRequest: (request) => {
      sequence += 1;
      return { ...request, body: template.body.replace('%UNIQUE%', `${prefix}-${sequence}`) };
    },
  };
}

const requests = job.chain
  ? [tokenChain(job.chain)]
  : job.unique
    ? [unique(job.unique)]
    : [{ ...job.requests[0], setupRequest: roundRobin(job.requests) }];

const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationS,
  timeout: 10,
  requests,
  ...(job.delayMs > 0 ? { connectionRate: Math.max(1, Math.round(1000 / job.delayMs)) } : {}),
});

const line = {
  requests: result.requests.total,
  durationUs: Math.round(result.duration * 1e6),
  non2xx: result.non2xx,
  connectErrors: result.errors - result.timeouts,
  readErrors: 0,
  writeErrors: 0,
  timeouts: result.timeouts,
  p50Us: Math.round(result.latency.p50 * 1000),
  p99Us: Math.round(result.latency.p99 * 1000),
  maxUs: Math.round(result.latency.max * 1000),
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(line)}\n`);
