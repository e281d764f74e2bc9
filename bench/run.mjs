// `npm run bench [-- --quick]`: builds the service, runs it in connected mode against a database of
// its own, and compares each scenario with a raw node:http server in alternating rounds. See
// bench/README.md for the options and what each number means.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { login, loginAll, send } from './api.mjs';
import {
  ADMIN_EMAIL,
  checkServers,
  createDatabase,
  deleteRedisKeys,
  dropDatabase,
  outboxCounts,
  seedUsers,
  userEmail,
} from './backing-services.mjs';
import { chainTokensNeeded, detectGenerator, runLoad } from './load.mjs';
import {
  build,
  freePort,
  machineBusyPercent,
  memoryOf,
  root,
  startBaseline,
  startService,
  useRuntime,
} from './processes.mjs';
import { formatProfile, summarizeProfile } from './profile-summary.mjs';
import { printReport, runtimeLabel, writeReport } from './report.mjs';
import { defineScenarios, evaluateTargets, PROBE, withUnique } from './scenarios.mjs';
import { startSmtpSink } from './smtp-sink.mjs';
import { majorOf, PRODUCTION_NODE_MAJOR, productionNode } from '../scripts/production-node.mjs';

const PASSWORD = 'bench-Password-7f3kq9';
const RESULTS_DIR = path.join(import.meta.dirname, 'results');

function readOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'skip-build': { type: 'boolean', default: false },
      generator: { type: 'string', default: 'auto' },
      only: { type: 'string' },
      profile: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
      'wait-idle': { type: 'boolean', default: false },
      node: { type: 'string' },
      'node-options': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'Usage: npm run bench -- [--quick] [--only=a,b] [--profile=a,b] [--generator=wrk|autocannon]\n' +
        '       [--rounds=N] [--duration=S] [--warmup=S] [--skip-build] [--keep-logs] [--wait-idle]\n' +
        '       [--node=<node binary for the service and the baseline; default: the production\n' +
        '                Node from scripts/production-node.mjs, installed once into ~/.cache>]\n' +
        '       [--node-options="<flags for the service; default: NODE_OPTIONS from the Dockerfile>"]\n' +
        'See bench/README.md.',
    );
    process.exit(0);
  }
  const env = process.env;
  const number = (value, fallback) => (value === undefined ? fallback : Number(value));
  const quick = values.quick;
  return {
    quick,
    node: values.node,
    nodeOptions: values['node-options'] ?? productionNodeOptions(),
    skipBuild: values['skip-build'],
    generator: values.generator,
    only: values.only?.split(',').map((name) => name.trim()),
    profile: values.profile?.split(',').map((name) => name.trim()),
    keepLogs: values['keep-logs'],
    waitIdle: values['wait-idle'],
    rounds: number(values.rounds, quick ? 1 : 3),
    durationS: number(values.duration, quick ? 3 : 8),
    warmupS: number(values.warmup, quick ? 2 : 3),
    coldStarts: quick ? 1 : 3,
    profileS: quick ? 5 : 15,
    users: number(env.BENCH_USERS, 10_000),
    tokenUsers: number(env.BENCH_TOKEN_USERS, 50),
    connections: number(env.BENCH_CONNECTIONS, 50),
    loginConnections: number(env.BENCH_LOGIN_CONNECTIONS, 8),
    wrkThreads: number(env.BENCH_WRK_THREADS, 1),
    databaseServerUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const sum = (values) => values.reduce((a, b) => a + b, 0);
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** The Node that runs the service and the baseline: its version, and whether production runs it. */
function describeRuntime(binary, selectedBy) {
  const { stdout, status, error } = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (error || status !== 0) {
    throw new Error(`${binary} --version failed: ${error?.message ?? `exit ${status}`}`);
  }
  const node = stdout.trim();
  return {
    node,
    isProduction: majorOf(node) === PRODUCTION_NODE_MAJOR,
    productionMajor: PRODUCTION_NODE_MAJOR,
    selectedBy,
  };
}

function machine(runtime) {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: runtime.node,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    hostname: os.hostname(),
  };
}

/** The commit measured, and how many files under src/ differed from it when the build ran. */
function sourceState() {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim();
  const changed = git('status', '--porcelain', '--', 'src', 'package-lock.json');
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    uncommittedFiles: changed ? changed.split('\n').length : 0,
  };
}

/** The V8 flags the production image runs with (the Dockerfile's `ENV NODE_OPTIONS`). */
function productionNodeOptions() {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const value = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1];
  if (value === undefined) throw new Error('the Dockerfile sets no NODE_OPTIONS="..."');
  return value;
}

/** Production settings (as in deploy/k8s), with limits raised so the benchmark is never throttled. */
function serviceEnvironment(
  { databaseUrl, redisUrl, prefix, dataDir, keyFile, nodeOptions, smtpUrl },
  overrides = {},
) {
  const passThrough = ['PATH', 'HOME', 'TMPDIR', 'UV_THREADPOOL_SIZE'].filter(
    (name) => process.env[name] !== undefined,
  );
  return {
    ...Object.fromEntries(passThrough.map((name) => [name, process.env[name]])),
    NODE_ENV: 'production',
    NODE_OPTIONS: nodeOptions,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    DATA_DIR: dataDir,
    JWT_PRIVATE_KEY_FILE: keyFile,
    MIGRATIONS_RUN: 'false',
    CORS_ORIGINS: 'https://app.example.com',
    ALLOWED_HOSTS: '127.0.0.1,localhost',
    // Production refuses to start without both; the mails go to bench/smtp-sink.mjs.
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'Bench <no-reply@bench.test>',
    APP_URL: 'https://app.example.com',
    // Long enough for a whole run, so the access tokens signed at the start stay valid.
    ACCESS_TOKEN_TTL: '86400',
    RATE_LIMIT_LOGIN_PER_MIN: '1000000',
    RATE_LIMIT_REGISTER_PER_MIN: '1000000',
    RATE_LIMIT_REFRESH_PER_MIN: '1000000',
    RATE_LIMIT_LOGIN_FAILURES: '1000000',
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '1000000',
    RATE_LIMIT_PASSWORD_PER_MIN: '1000000',
    RATE_LIMIT_ACCOUNT_MAIL_PER_MIN: '1000000',
    RATE_LIMIT_ACCOUNT_LINK_PER_MIN: '1000000',
    SHUTDOWN_DRAIN_MS: '0',
    ...overrides,
  };
}

/**
 * The argon2 options the service runs with (its own config code, from the build, read on the
 * environment it is started with), the seed hash, and the cost of one hash.
 */
async function measureArgon2(environment, samples) {
  await import('reflect-metadata');
  const built = (file) => pathToFileURL(path.join(root, 'dist', file)).href;
  const { parseEnvironment, passwordHashingConfigOf } = await import(built('config/app-config.js'));
  const { argon2OptionsOf } = await import(built('common/security/password-hasher.js'));
  const options = argon2OptionsOf(passwordHashingConfigOf(parseEnvironment(environment).env));
  const { hash, verify } = await import('@node-rs/argon2');
  const passwordHash = await hash(PASSWORD, options);
  let started = performance.now();
  for (let i = 0; i < samples; i += 1) await hash(PASSWORD, options);
  const hashMs = (performance.now() - started) / samples;
  started = performance.now();
  for (let i = 0; i < samples; i += 1) await verify(passwordHash, PASSWORD);
  const verifyMs = (performance.now() - started) / samples;
  return { options, hashMs, verifyMs, samples, passwordHash };
}

const BUSY_WARNING_PERCENT = 15;

/** Other work on the machine skews every number: measured up front, waited out on request. */
async function quietMachine(wait) {
  const deadline = Date.now() + 15 * 60_000;
  let busy = await machineBusyPercent();
  while (wait && busy > BUSY_WARNING_PERCENT && Date.now() < deadline) {
    log(`the machine is ${busy.toFixed(0)}% busy before the run; waiting (--wait-idle)...`);
    busy = await machineBusyPercent(10_000);
  }
  if (busy > BUSY_WARNING_PERCENT) {
    log(
      `WARNING: the machine is ${busy.toFixed(0)}% busy before the run (other processes); ` +
        'results will be low. --wait-idle waits for it to settle.',
    );
  }
  return busy;
}

/** Stops what was started and removes what was created, last first, whatever happened. */
class Cleanup {
  #steps = [];

  add(label, step) {
    this.#steps.push({ label, step });
  }

  async run() {
    while (this.#steps.length > 0) {
      const { label, step } = this.#steps.pop();
      await step().catch((error) => log(`cleanup: ${label} failed: ${error.message}`));
    }
  }
}

async function preflight(scenario, serviceUrl) {
  if (!scenario.requests && !scenario.unique) return;
  const [first] = scenario.unique
    ? [withUnique(scenario.unique.template, `preflight-${randomBytes(4).toString('hex')}`)]
    : scenario.requests();
  const answer = await send(serviceUrl, first);
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`${scenario.name}: the service answered ${answer.status}: ${answer.text}`);
  }
  if (!scenario.expectXCache) return;
  const again = await send(serviceUrl, first);
  const xCache = again.headers.get('x-cache') ?? 'none';
  const expected = scenario.expectXCache;
  if (expected === 'HIT' ? xCache !== 'HIT' : xCache === 'HIT') {
    throw new Error(`${scenario.name}: expected X-Cache ${expected} on a repeat, got ${xCache}`);
  }
}

const summary = (run) => ({
  rps: run.rps,
  p50: run.p50,
  p99: run.p99,
  non2xx: run.non2xx,
  socketErrors: run.socketErrors,
  foreignCpuPercent: run.foreignCpuPercent,
  stealPercent: run.stealPercent,
});

/** Rounds during which other processes took more than this share of the CPUs are flagged. */
const FOREIGN_CPU_WARNING_PERCENT = 10;

function contention(...runs) {
  const worst = Math.max(...runs.map((run) => run.foreignCpuPercent));
  return worst > FOREIGN_CPU_WARNING_PERCENT
    ? ` [other processes used ${worst.toFixed(0)}% of the CPUs: round skewed]`
    : '';
}

async function measureScenario(scenario, context) {
  const { options, generator, workDir, serviceUrl, baselineUrl } = context;
  const threads = Math.min(options.wrkThreads, scenario.connections);
  const load = (job) => runLoad(generator, job, workDir, { threads });
  const common = { connections: scenario.connections };
  const serviceJob = async (durationS) =>
    scenario.chain
      ? {
          ...common,
          url: serviceUrl,
          durationS,
          chain: await scenario.chain(chainTokensNeeded(scenario.connections, threads)),
        }
      : scenario.unique
        ? { ...common, url: serviceUrl, durationS, unique: scenario.unique }
        : { ...common, url: serviceUrl, durationS, requests: scenario.requests() };
  const baselineRequest =
    scenario.baselineRequest ??
    (scenario.unique ? withUnique(scenario.unique.template, 'baseline') : scenario.requests()[0]);
  const baselineJob = (durationS) => ({
    ...common,
    url: baselineUrl,
    durationS,
    requests: [baselineRequest],
  });

  await preflight(scenario, serviceUrl);
  // The baseline is the same few lines of code for every scenario: warming it once is enough.
  const warmups = [
    context.isBaselineWarm ? undefined : await load(baselineJob(options.warmupS)),
    await load(await serviceJob(options.warmupS)),
  ];
  context.isBaselineWarm = true;
  const rounds = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const baseline = await load(baselineJob(options.durationS));
    const service = await load(await serviceJob(options.durationS));
    rounds.push({ baseline, service });
    log(
      `  ${scenario.name} round ${round + 1}: service ${service.rps.toFixed(0)}/s ` +
        `p99 ${service.p99.toFixed(1)} ms errors ${service.errors}; node:http ${baseline.rps.toFixed(0)}/s` +
        contention(baseline, service),
    );
  }
  const services = rounds.map((r) => r.service);
  return {
    label: scenario.label,
    connections: scenario.connections,
    rps: median(services.map((r) => r.rps)),
    p50: median(services.map((r) => r.p50)),
    p99: median(services.map((r) => r.p99)),
    errors: sum([warmups[1], ...services].map((r) => r.errors)),
    non2xx: sum([warmups[1], ...services].map((r) => r.non2xx)),
    baselineRps: median(rounds.map((r) => r.baseline.rps)),
    baselineP99: median(rounds.map((r) => r.baseline.p99)),
    baselineErrors: sum(
      [warmups[0], ...rounds.map((r) => r.baseline)].filter(Boolean).map((r) => r.errors),
    ),
    foreignCpuPercent: Math.max(
      ...rounds.flatMap((r) => [r.baseline.foreignCpuPercent, r.service.foreignCpuPercent]),
    ),
    // Each round pairs adjacent baseline and service runs, so slow drift cancels out.
    ratio: median(rounds.map((r) => r.service.rps / r.baseline.rps)),
    rssAfterMiB: memoryOf(context.service.pid).rssMiB,
    rounds: rounds.map((r) => ({ baseline: summary(r.baseline), service: summary(r.service) })),
  };
}

const OUTBOX_DRAIN_TIMEOUT_MS = 120_000;

/**
 * Waits until the outbox holds nothing pending, so the sends a scenario queued neither spill into
 * the next scenario nor go uncounted: `{ sent, failed, pending, accepted, drainMs }`, `accepted`
 * being what the SMTP sink received (all mails of the run so far) and `drainMs` how long the
 * worker needed after the load stopped.
 */
async function drainOutbox(databaseUrl, smtpSink) {
  const started = performance.now();
  let counts = await outboxCounts(databaseUrl);
  while (counts.pending > 0 && performance.now() - started < OUTBOX_DRAIN_TIMEOUT_MS) {
    await sleep(100);
    counts = await outboxCounts(databaseUrl);
  }
  const drainMs = performance.now() - started;
  log(
    `  outbox: ${counts.sent} sent, ${counts.failed} failed, ${counts.pending} pending after ` +
      `${drainMs.toFixed(0)} ms; the SMTP sink accepted ${smtpSink.accepted}`,
  );
  return { ...counts, accepted: smtpSink.accepted, drainMs };
}

/** Full login load and a light health probe at once: does hashing starve the event loop? */
async function measureHealthDuringLogin(loginScenario, context) {
  const { options, generator, workDir, serviceUrl } = context;
  const loginJob = (durationS) => ({
    url: serviceUrl,
    connections: loginScenario.connections,
    durationS,
    requests: loginScenario.requests(),
  });
  const probeJob = (durationS) => ({
    url: serviceUrl,
    connections: PROBE.connections,
    durationS,
    delayMs: PROBE.delayMs,
    requests: [{ method: 'GET', path: '/health/live' }],
  });
  const both = (durationS) =>
    Promise.all([
      runLoad(generator, loginJob(durationS), workDir),
      runLoad(generator, probeJob(durationS), workDir),
    ]);
  const [warmLogin, warmHealth] = await both(options.warmupS);
  const rounds = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const [loginRun, health] = await both(options.durationS);
    rounds.push({ login: loginRun, health });
    log(
      `  health-during-login round ${round + 1}: health p99 ${health.p99.toFixed(1)} ms, ` +
        `login ${loginRun.rps.toFixed(0)}/s${contention(loginRun)}`,
    );
  }
  const pick = (key, warm) => ({
    rps: median(rounds.map((r) => r[key].rps)),
    p50: median(rounds.map((r) => r[key].p50)),
    p99: median(rounds.map((r) => r[key].p99)),
    errors: sum([warm, ...rounds.map((r) => r[key])].map((r) => r.errors)),
  });
  return {
    probe: PROBE,
    health: pick('health', warmHealth),
    login: pick('login', warmLogin),
    foreignCpuPercent: Math.max(...rounds.map((r) => r.login.foreignCpuPercent)),
  };
}

async function profileScenario(scenario, context, startInstance) {
  const directory = path.join(context.workDir, `profile-${scenario.name}`);
  const service = await startInstance(scenario.instance, [
    '--cpu-prof',
    `--cpu-prof-dir=${directory}`,
  ]);
  const serviceUrl = `http://127.0.0.1:${service.port}`;
  context.service = service;
  context.serviceUrl = serviceUrl;
  await preflight(scenario, serviceUrl);
  const job = async (durationS) =>
    scenario.chain
      ? {
          url: serviceUrl,
          connections: scenario.connections,
          durationS,
          chain: await scenario.chain(chainTokensNeeded(scenario.connections)),
        }
      : scenario.unique
        ? { url: serviceUrl, connections: scenario.connections, durationS, unique: scenario.unique }
        : {
            url: serviceUrl,
            connections: scenario.connections,
            durationS,
            requests: scenario.requests(),
          };
  const { generator, workDir, options } = context;
  await runLoad(generator, await job(options.warmupS), workDir);
  const measuredJob = await job(options.profileS);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const run = await runLoad(generator, measuredJob, workDir);
  const toUs = Number(process.hrtime.bigint() / 1000n);
  log(`  profiled ${scenario.name}: ${run.rps.toFixed(0)}/s under --cpu-prof`);
  await service.stop();
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written for ${scenario.name}`);
  const text = formatProfile(
    `${scenario.name} (${scenario.label}, ${scenario.connections} connections, ${run.rps.toFixed(0)} req/s under the profiler)`,
    summarizeProfile(path.join(directory, file), { top: 30, fromUs, toUs }),
  );
  writeFileSync(path.join(RESULTS_DIR, `profile-${scenario.name}.txt`), text);
  return text;
}

async function main() {
  const options = readOptions();
  const nodeBinary = options.node ?? productionNode();
  useRuntime(nodeBinary);
  const runtime = describeRuntime(
    nodeBinary,
    options.node ? '--node' : 'scripts/production-node.mjs',
  );
  log(`service and baseline run on ${runtimeLabel(runtime)}: ${nodeBinary}`);
  const generator = detectGenerator(options.generator);
  log(`load generator: ${generator.name} ${generator.version}`);
  await checkServers(options.databaseServerUrl, options.redisUrl);
  const busyBefore = await quietMachine(options.waitIdle);
  const source = sourceState();
  if (options.skipBuild) log('skipping the build (--skip-build): using dist/ as it is');
  else {
    log('building (nest build)...');
    await build();
  }

  const cleanup = new Cleanup();
  const running = new Set();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: cleaning up`);
      void cleanup.run().then(() => process.exit(130));
    });
  }

  const runId = randomBytes(5).toString('hex');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'uas-bench-'));
  cleanup.add('remove the work directory', async () => {
    if (options.keepLogs) log(`logs kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  });
  try {
    const databaseName = `uas_bench_${runId}`;
    const databaseUrl = await createDatabase(options.databaseServerUrl, databaseName);
    cleanup.add('drop the database', () => dropDatabase(options.databaseServerUrl, databaseName));
    const prefix = `bench:${runId}:`;
    cleanup.add('delete the Redis keys', () => deleteRedisKeys(options.redisUrl, prefix));
    // Stopped after the service (cleanup runs last first), which may be sending when it stops.
    const smtpSink = await startSmtpSink();
    cleanup.add('stop the SMTP sink', () => smtpSink.stop());
    cleanup.add('stop the processes', () => Promise.all([...running].map((p) => p.stop())));

    const dataDir = path.join(workDir, 'data');
    mkdirSync(dataDir);
    const keyFile = path.join(workDir, 'jwt-private-key.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const environment = serviceEnvironment({
      smtpUrl: smtpSink.url,
      databaseUrl,
      redisUrl: options.redisUrl,
      prefix,
      dataDir,
      keyFile,
      nodeOptions: options.nodeOptions,
    });
    const logFile = path.join(workDir, 'service.log');

    const startInstance = async (instance, nodeArgs = [], overrides = {}) => {
      const port = await freePort();
      const env = { ...environment, ...(instance === 'uncached' ? { CACHE_TTL: '0' } : {}) };
      const service = await startService({
        env: { ...env, ...overrides },
        port,
        logFile,
        nodeArgs,
      });
      service.port = port;
      running.add(service);
      const stop = service.stop.bind(service);
      service.stop = async () => {
        await stop();
        running.delete(service);
      };
      return service;
    };

    log(`database ${databaseName}, Redis prefix ${prefix}: migrating...`);
    await (await startInstance('cached', [], { MIGRATIONS_RUN: 'true' })).stop();
    log('measuring argon2 and seeding...');
    const argon2 = await measureArgon2(environment, options.quick ? 3 : 10);
    await seedUsers(databaseUrl, options.users, argon2.passwordHash);
    delete argon2.passwordHash;
    log(`seeded ${options.users} users and an admin`);

    const coldStarts = [];
    let service;
    for (let i = 0; i < options.coldStarts; i += 1) {
      if (service) await service.stop();
      service = await startInstance('cached');
      coldStarts.push(service.coldStartMs);
      log(`  cold start ${i + 1}: ${service.coldStartMs.toFixed(0)} ms`);
    }

    const serviceUrl = `http://127.0.0.1:${service.port}`;
    const accessTokens = (
      await loginAll(
        serviceUrl,
        Array.from({ length: options.tokenUsers }, (_, i) => userEmail(i + 1)),
        PASSWORD,
      )
    ).map((pair) => pair.accessToken);
    const adminToken = (await login(serviceUrl, ADMIN_EMAIL, PASSWORD)).accessToken;
    let nextRefreshUser = options.tokenUsers;
    const context = {
      options,
      generator,
      workDir,
      service,
      serviceUrl,
    };
    const scenarios = defineScenarios({
      password: PASSWORD,
      userCount: options.users,
      accessTokens,
      adminToken,
      connections: options.connections,
      loginConnections: options.loginConnections,
      refreshTokens: async (count) => {
        const emails = Array.from({ length: count }, (_, i) =>
          userEmail(((nextRefreshUser + i) % options.users) + 1),
        );
        nextRefreshUser += count;
        return (await loginAll(context.serviceUrl, emails, PASSWORD)).map(
          (pair) => pair.refreshToken,
        );
      },
    });

    if (options.profile) {
      await service.stop();
      const texts = [];
      for (const name of options.profile) {
        const scenario = scenarios.find((s) => s.name === name);
        if (!scenario) throw new Error(`unknown scenario ${name}`);
        log(`profiling ${name} for ${options.profileS} s...`);
        texts.push(await profileScenario(scenario, context, startInstance));
      }
      console.log(texts.join('\n'));
      return;
    }

    const selected = (name) => !options.only || options.only.includes(name);
    const baselinePort = await freePort();
    const baseline = await startBaseline(baselinePort);
    running.add(baseline);
    context.baselineUrl = `http://127.0.0.1:${baselinePort}`;

    const results = {
      generatedAt: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      machine: { ...machine(runtime), busyPercentBeforeRun: Math.round(busyBefore) },
      runtime,
      source: { ...source, built: !options.skipBuild },
      generator,
      settings: {
        rounds: options.rounds,
        durationS: options.durationS,
        warmupS: options.warmupS,
        connections: options.connections,
        loginConnections: options.loginConnections,
        users: options.users,
        tokenUsers: options.tokenUsers,
        wrkThreads: options.wrkThreads,
        nodeEnv: environment.NODE_ENV,
        nodeOptions: environment.NODE_OPTIONS,
        logLevel: environment.LOG_LEVEL,
      },
      units: { rps: 'requests/s', p50: 'ms', p99: 'ms', errors: 'non-2xx + socket errors' },
      scenarios: {},
      startup: { coldStartMs: median(coldStarts), samplesMs: coldStarts },
      memory: { rssAtReadyMiB: service.memoryAtReady.rssMiB },
      argon2,
    };
    const afterLoad = [];

    for (const instance of ['cached', 'uncached']) {
      const own = scenarios.filter((s) => s.instance === instance && selected(s.name));
      const withProbe = instance === 'cached' && selected('health-during-login');
      if (own.length === 0 && !withProbe) continue;
      if (instance !== 'cached') {
        await service.stop();
        service = await startInstance(instance);
        context.service = service;
        context.serviceUrl = `http://127.0.0.1:${service.port}`;
        log(`${instance} instance ready in ${service.coldStartMs.toFixed(0)} ms`);
        results.startup[`${instance}ColdStartMs`] = service.coldStartMs;
      }
      for (const scenario of own) {
        if (interrupted) return;
        log(`${scenario.name} (${scenario.label}, ${scenario.connections} connections)`);
        results.scenarios[scenario.name] = await measureScenario(scenario, context);
        if (scenario.sendsMail) {
          results.scenarios[scenario.name].mail = await drainOutbox(databaseUrl, smtpSink);
        }
      }
      if (withProbe) {
        log('health-during-login (full login load + a health probe)');
        results.healthDuringLogin = await measureHealthDuringLogin(
          scenarios.find((s) => s.name === 'auth-login'),
          context,
        );
      }
      // In-flight requests the generator abandoned at its deadline finish before the reading.
      await sleep(1000);
      afterLoad.push(memoryOf(service.pid));
    }
    results.memory.rssAfterLoadMiB = Math.max(...afterLoad.map((m) => m.rssMiB));
    results.memory.peakRssMiB = Math.max(...afterLoad.map((m) => m.peakRssMiB));
    results.memory.instances = afterLoad;
    results.targets = evaluateTargets(results);

    printReport(results);
    if (options.only) log('--only: results not written to bench/results/');
    else for (const file of writeReport(results, RESULTS_DIR)) log(`wrote ${file}`);
  } finally {
    if (!interrupted) await cleanup.run();
  }
}

main().catch((error) => {
  console.error(`[bench] failed: ${error.stack ?? error}`);
  process.exitCode = 1;
});
