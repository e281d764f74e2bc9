import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { loadAppConfig, type AppConfig } from '../../src/config/app-config.js';

const root = path.resolve(import.meta.dirname, '../..');
const k8sDir = path.join(root, 'deploy/k8s');
const readText = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { syntax: string | undefined; stages: Stage[] } {
  const syntax = /^#\s*syntax\s*=\s*(\S+)/m.exec(text)?.[1];
  const logicalLines: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += ' ' + line.replace(/\\\s*$/, '').trim();
    if (continued) continue;
    if (pending.trim() !== '') logicalLines.push(pending.trim());
    pending = '';
  }
  if (pending.trim() !== '') logicalLines.push(pending.trim());

  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [, image, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ image, name: name?.toLowerCase(), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { syntax, stages };
}

/** The stage and the stages it is built FROM, base first. */
function stageChain(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((candidate) => candidate.name === stage.image.toLowerCase());
  return parent ? [...stageChain(stages, parent), stage] : [stage];
}

const instructionsOf = (chain: Stage[], keyword: string): string[] =>
  chain.flatMap((stage) =>
    stage.instructions.filter((item) => item.keyword === keyword).map((item) => item.args),
  );

interface Copy {
  from: string | undefined;
  sources: string[];
}

function copiesOf(chain: Stage[]): Copy[] {
  return chain.flatMap((stage) =>
    stage.instructions
      .filter((item) => item.keyword === 'COPY' || item.keyword === 'ADD')
      .map((item) => {
        const words = item.args.split(/\s+/);
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((word) => !word.startsWith('--'));
        return { from: from?.toLowerCase(), sources: paths.slice(0, -1) };
      }),
  );
}

function isPinnedImage(image: string): boolean {
  const name = image.slice(image.lastIndexOf('/') + 1);
  const tag = name.includes(':') ? name.slice(name.indexOf(':') + 1).replace(/@.*$/, '') : '';
  if (/latest/i.test(tag)) return false;
  return /@sha256:[0-9a-f]{64}$/.test(image) || /\d/.test(tag);
}

type Labels = Record<string, string>;

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type?: string };
}

interface Probe {
  httpGet?: { path?: string; port?: number | string };
}

interface EnvVar {
  name: string;
  value?: unknown;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  securityContext?: SecurityContext;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

interface Volume {
  name: string;
  secret?: { secretName: string };
  emptyDir?: object;
}

interface PodTemplate {
  metadata: { labels?: Labels; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: SecurityContext;
    volumes?: Volume[];
    terminationGracePeriodSeconds?: number;
    restartPolicy?: string;
    topologySpreadConstraints?: Array<{
      topologyKey: string;
      labelSelector?: { matchLabels?: Labels };
    }>;
    affinity?: {
      podAntiAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: Array<{
          topologyKey: string;
          labelSelector?: { matchLabels?: Labels };
        }>;
        preferredDuringSchedulingIgnoredDuringExecution?: Array<{
          podAffinityTerm: { topologyKey: string; labelSelector?: { matchLabels?: Labels } };
        }>;
      };
    };
  };
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
}

interface Deployment extends Manifest {
  spec: { replicas?: number; selector: { matchLabels: Labels }; template: PodTemplate };
}

interface Job extends Manifest {
  spec: { backoffLimit?: number; ttlSecondsAfterFinished?: number; template: PodTemplate };
}

interface Service extends Manifest {
  spec: {
    type?: string;
    selector: Labels;
    ports: Array<{ port: number; targetPort: number | string }>;
  };
}

interface HorizontalPodAutoscaler extends Manifest {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: Array<{
      type: string;
      resource?: { name: string; target: { type: string; averageUtilization?: number } };
    }>;
  };
}

interface PodDisruptionBudget extends Manifest {
  spec: { minAvailable?: number; maxUnavailable?: number; selector: { matchLabels: Labels } };
}

interface ConfigMap extends Manifest {
  data: Record<string, unknown>;
}

interface Secret extends Manifest {
  stringData: Record<string, string>;
}

interface Kustomization extends Manifest {
  resources: string[];
}

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  stop_grace_period?: string;
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

const manifestFiles = readdirSync(k8sDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();
const parsedManifests = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8')).map((document) => ({
    file,
    errors: document.errors.map((error) => error.message),
    manifest: document.toJS() as Manifest,
  })),
);
const manifests = parsedManifests.map((entry) => entry.manifest);

function only<T extends Manifest>(kind: string): T {
  const matches = parsedManifests.filter((entry) => entry.manifest.kind === kind);
  if (matches.length !== 1) {
    throw new Error(`expected one ${kind} in deploy/k8s, found ${matches.length}`);
  }
  return matches[0].manifest as T;
}

const deployment = only<Deployment>('Deployment');
const job = only<Job>('Job');
const service = only<Service>('Service');
const hpa = only<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
const pdb = only<PodDisruptionBudget>('PodDisruptionBudget');
const configMap = only<ConfigMap>('ConfigMap');
const kustomization = only<Kustomization>('Kustomization');
const exampleSecrets = parsedManifests
  .filter((entry) => entry.manifest.kind === 'Secret')
  .map((entry) => entry.manifest as Secret);
const apiContainer = deployment.spec.template.spec.containers[0];
const migrationContainer = job.spec.template.spec.containers[0];

const compose = parse(readText('docker-compose.yml')) as ComposeFile;

const knownEnvironmentNames = new Set([
  'NODE_ENV',
  ...[
    ...readText('src/config/env.schema.ts').matchAll(/^\s*(?:@\S+\s+)*([A-Z][A-Z0-9_]+)\??:/gm),
  ].map((match) => match[1]),
]);

/** Compose's `${NAME:-default}` / `${NAME-default}` interpolation, as if NAME were unset. */
function interpolateDefaults(value: string): string {
  return value
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_match, name: string, fallback) => {
      if (fallback === undefined) throw new Error(`\${${name}} has no default`);
      return String(fallback);
    })
    .replace(/\$\$/g, '$');
}

function composeEnvironment(composeService: ComposeService): Record<string, string> {
  const raw = composeService.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)])
    : Object.entries(raw).map(([name, value]) => [name, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([name, value]) => [name, interpolateDefaults(value)]));
}

const secretValue = (name: string, key: string): string | undefined =>
  exampleSecrets.find((secret) => secret.metadata.name === name)?.stringData[key];

/** What the container sees; Secret references resolve to the example Secret's placeholders. */
function podEnvironment(container: Container): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef?.name === configMap.metadata.name) {
      Object.assign(environment, configMap.data);
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    environment[variable.name] = ref
      ? (secretValue(ref.name, ref.key) ?? '')
      : String(variable.value);
  }
  return environment;
}

const composeApiConfig = (): AppConfig => loadAppConfig(composeEnvironment(compose.services.api));
const podConfig = (container: Container): AppConfig => loadAppConfig(podEnvironment(container));

/** Seconds the service may need after SIGTERM: the drain, then the bounded shutdown. */
const shutdownBudgetS = (config: AppConfig): number =>
  (config.shutdown.drainMs + config.shutdown.timeoutMs) / 1000;

/** A Kubernetes memory quantity (`384Mi`, `1Gi`, `512M`) in MiB. */
function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) return NaN;
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / 2 ** 20,
    M: 1e6 / 2 ** 20,
    G: 1e9 / 2 ** 20,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]] : 1 / 2 ** 20);
}

function durationSeconds(value: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
    throw new Error(`unreadable duration "${value}"`);
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0);
}

const selects = (selector: Labels, labels: Labels | undefined): boolean =>
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

function effectiveSecurity(pod: PodTemplate, container: Container): SecurityContext {
  return { ...pod.spec.securityContext, ...container.securityContext };
}

const podsUnderTest: Array<[string, PodTemplate]> = [
  ['Deployment', deployment.spec.template],
  ['migration Job', job.spec.template],
];

describe('Dockerfile', () => {
  const { syntax, stages } = parseDockerfile(readText('Dockerfile'));
  const runtime = stages.at(-1)!;
  const runtimeChain = stageChain(stages, runtime);
  const stageNamed = (name: string | undefined) => stages.find((stage) => stage.name === name);

  it('pins every external image to a versioned tag and never uses latest', () => {
    const stageNames = new Set(stages.map((stage) => stage.name));
    const external = [
      ...stages.map((stage) => stage.image).filter((image) => !stageNames.has(image.toLowerCase())),
      ...(syntax ? [syntax] : []),
    ];
    expect(external.length).toBeGreaterThan(0);
    expect(external.filter((image) => !isPinnedImage(image))).toEqual([]);
  });

  it('runs the Node major named in .nvmrc on a bookworm-slim base', () => {
    const nodeMajor = readText('.nvmrc').trim().replace(/^v/, '').split('.')[0];
    const base = stageChain(stages, runtime)[0];
    expect(base.image).toMatch(new RegExp(`^node:${nodeMajor}\\.\\d+(\\.\\d+)?-bookworm-slim$`));
  });

  it('builds dist/ in a stage of its own, not in the runtime image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const distCopy = copiesOf(runtimeChain).find((copy) =>
      copy.sources.some((source) => /(^|\/)dist\/?$/.test(source)),
    );
    const buildStage = stageNamed(distCopy?.from);
    expect(buildStage).not.toBe(runtime);
    expect(instructionsOf(stageChain(stages, buildStage ?? runtime), 'RUN').join('\n')).toMatch(
      /npm run build/,
    );
    expect(instructionsOf(runtimeChain, 'RUN').filter((run) => /\bnpm\b/.test(run))).toEqual([]);
  });

  it('takes node_modules from a stage that installs production dependencies only', () => {
    const modulesCopy = copiesOf(runtimeChain).find((copy) =>
      copy.sources.some((source) => /(^|\/)node_modules\/?$/.test(source)),
    );
    const installs = instructionsOf(
      stageChain(stages, stageNamed(modulesCopy?.from) ?? runtime),
      'RUN',
    ).filter((run) => /\bnpm (ci|install|i)\b/.test(run));
    expect(installs.length).toBeGreaterThan(0);
    expect(installs.filter((run) => !/--omit=dev\b/.test(run))).toEqual([]);
  });

  it('copies only dist/, node_modules and package.json into the runtime image', () => {
    const copied = copiesOf(runtimeChain).flatMap((copy) =>
      copy.sources.map((source) => path.posix.basename(source.replace(/\/$/, ''))),
    );
    expect(copied.sort()).toEqual(['dist', 'node_modules', 'package.json']);
  });

  it('switches to the non-root node user in the final stage', () => {
    const user = instructionsOf([runtime], 'USER').at(-1)?.split(':')[0];
    expect(['node', '1000']).toContain(user);
  });

  it('starts node directly in exec form with SIGTERM as the stop signal', () => {
    const command = instructionsOf(runtimeChain, 'CMD').at(-1) ?? '';
    expect(JSON.parse(command)).toEqual(['node', 'dist/bundle/main.js']);
    expect(instructionsOf(runtimeChain, 'ENTRYPOINT')).toEqual([]);
    expect(instructionsOf(runtimeChain, 'STOPSIGNAL').at(-1)).toBe('SIGTERM');
  });

  it('runs in production mode and exposes port 3000', () => {
    expect(instructionsOf(runtimeChain, 'ENV').join(' ')).toMatch(
      /(^|\s)NODE_ENV=production(\s|$)/,
    );
    expect(instructionsOf(runtimeChain, 'EXPOSE').join(' ').split(/\s+/)).toContain('3000');
  });

  it("bounds the V8 heap in the image well inside the API container's memory limit", () => {
    // V8 sizes its heap from the host's memory; without caps RSS passed 500 MiB under load.
    const env = instructionsOf(runtimeChain, 'ENV').join(' ');
    const nodeOptions = /NODE_OPTIONS="([^"]*)"/.exec(env)?.[1] ?? '';
    const flag = (name: string) => Number(new RegExp(`--${name}=(\\d+)`).exec(nodeOptions)?.[1]);
    const oldSpaceMiB = flag('max-old-space-size');
    const semiSpaceMiB = flag('max-semi-space-size');
    expect(oldSpaceMiB).toBeGreaterThan(0);
    expect(semiSpaceMiB).toBeGreaterThan(0);
    const limitMiB = mebibytes(String(apiContainer.resources?.limits?.memory ?? ''));
    // Code, native memory and the argon2 workers (19 MiB per hash) live outside the heap.
    expect(oldSpaceMiB + 3 * semiSpaceMiB + 160).toBeLessThanOrEqual(limitMiB);
    expect(apiContainer.env?.some((variable) => variable.name === 'NODE_OPTIONS')).toBe(false);
  });

  it('health-checks /health/live with node, since the slim image has no curl', () => {
    const healthcheck = instructionsOf(runtimeChain, 'HEALTHCHECK').at(-1) ?? '';
    const command = /\bCMD\s+(\[.*\])$/.exec(healthcheck)?.[1];
    const argv = JSON.parse(command ?? '[]') as string[];
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).toContain('http://127.0.0.1:3000/health/live');
  });

  it('keeps dependencies, build output, local state and keys out of the build context', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((line) => line.trim().replace(/^\/|\/$/g, ''));
    for (const entry of ['node_modules', 'dist', '.git', '.data', '.env', 'secrets']) {
      expect(ignored).toContain(entry);
    }
  });
});

describe('docker-compose.yml', () => {
  const { api, postgres, redis } = compose.services;

  it('gives the API, PostgreSQL and Redis each a healthcheck', () => {
    const unchecked = ['api', 'postgres', 'redis'].filter((name) => {
      const healthcheck = compose.services[name]?.healthcheck;
      return !healthcheck?.test || healthcheck.disable === true || healthcheck.test[0] === 'NONE';
    });
    expect(unchecked).toEqual([]);
  });

  it('starts the API only once PostgreSQL and Redis are healthy', () => {
    expect(api.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('pins every image to a versioned tag', () => {
    const images = Object.values(compose.services).map((entry) => entry.image ?? '');
    expect(images.filter((image) => !isPinnedImage(image))).toEqual([]);
    expect(api.image).toBe(apiContainer.image);
  });

  it('configures the API for production with values the service accepts', () => {
    const config = composeApiConfig();
    expect(config.isProduction).toBe(true);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.redis.url).toMatch(/^redis:\/\/redis:6379/);
    expect(config.database.runMigrations).toBe(true);
  });

  it('reads the JWT signing key from a compose secret kept out of git', () => {
    const keyFile = composeEnvironment(api).JWT_PRIVATE_KEY_FILE;
    const secretName = /^\/run\/secrets\/([\w.-]+)$/.exec(keyFile ?? '')?.[1] ?? '';
    const attached = (api.secrets ?? []).map((entry) =>
      typeof entry === 'string' ? entry : entry.source,
    );
    expect(attached).toContain(secretName);
    const file = compose.secrets?.[secretName]?.file ?? '';
    expect(path.posix.normalize(file)).toMatch(/^secrets\/[^/]+\.pem$/);
    expect(() =>
      execFileSync('git', ['check-ignore', '--quiet', '--no-index', path.posix.normalize(file)], {
        cwd: root,
      }),
    ).not.toThrow();
  });

  it('restarts the API on failure and gives it time to drain before killing it', () => {
    expect(['always', 'unless-stopped', 'on-failure']).toContain(api.restart);
    expect(durationSeconds(api.stop_grace_period ?? '10s')).toBeGreaterThan(
      shutdownBudgetS(composeApiConfig()),
    );
  });

  it('bounds Redis memory and lets it evict only keys that carry a TTL', () => {
    const argv =
      typeof redis.command === 'string' ? redis.command.split(/\s+/) : (redis.command ?? []);
    const valueAfter = (flag: string) => {
      const index = argv.indexOf(flag);
      return index === -1 ? undefined : argv[index + 1];
    };
    expect(valueAfter('--maxmemory-policy')).toBe('noeviction');
    expect(valueAfter('--maxmemory')).toMatch(/^\d+(kb|mb|gb)?$/i);
  });

  it('keeps PostgreSQL data in a named volume', () => {
    const sources = (postgres.volumes ?? []).map((volume) => volume.split(':')[0]);
    const named = sources.filter((source) => Object.hasOwn(compose.volumes ?? {}, source));
    expect(named).toHaveLength(1);
  });
});

describe('Kubernetes manifests (deploy/k8s)', () => {
  const podLabels = deployment.spec.template.metadata.labels;

  it('parses every manifest as YAML without errors', () => {
    expect(parsedManifests.length).toBeGreaterThan(0);
    expect(parsedManifests.filter((entry) => entry.errors.length > 0)).toEqual([]);
    expect(manifests.filter((manifest) => !manifest.kind || !manifest.apiVersion)).toEqual([]);
  });

  it('lists every manifest in kustomization.yaml except the example Secret', () => {
    const expected = manifestFiles.filter(
      (file) => file !== 'kustomization.yaml' && !file.includes('.example.'),
    );
    expect([...kustomization.resources].sort()).toEqual(expected);
    expect(kustomization.resources.every((file) => existsSync(path.join(k8sDir, file)))).toBe(true);
  });

  it('keeps placeholders only in the example Secret', () => {
    const values = exampleSecrets.flatMap((secret) => Object.values(secret.stringData ?? {}));
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((value) => !value.includes('EXAMPLE'))).toEqual([]);
  });

  it('probes readiness on /health/ready and liveness on /health/live at the service port', () => {
    const port = podConfig(apiContainer).http.port;
    const probes = {
      readiness: apiContainer.readinessProbe?.httpGet,
      liveness: apiContainer.livenessProbe?.httpGet,
      startup: apiContainer.startupProbe?.httpGet,
    };
    expect(probes.readiness?.path).toBe('/health/ready');
    expect(probes.liveness?.path).toBe('/health/live');
    expect(probes.startup?.path).toMatch(/^\/health\/(live|ready)$/);
    expect(Object.values(probes).map((probe) => resolvePort(apiContainer, probe?.port))).toEqual([
      port,
      port,
      port,
    ]);
    expect(apiContainer.ports?.map((entry) => entry.containerPort)).toEqual([port]);
  });

  it.each(podsUnderTest)(
    'runs the %s as non-root on a read-only root filesystem without privileges',
    (_name, pod) => {
      for (const container of pod.spec.containers) {
        const security = effectiveSecurity(pod, container);
        expect(security.runAsNonRoot).toBe(true);
        expect(security.runAsUser).toBe(1000);
        expect(security.readOnlyRootFilesystem).toBe(true);
        expect(security.allowPrivilegeEscalation).toBe(false);
        expect(security.capabilities?.drop).toContain('ALL');
        expect(security.seccompProfile?.type).toBe('RuntimeDefault');
      }
    },
  );

  it.each(podsUnderTest)('gives the %s a writable /tmp on an emptyDir', (_name, pod) => {
    for (const container of pod.spec.containers) {
      const mount = container.volumeMounts?.find((entry) => entry.mountPath === '/tmp');
      const volume = pod.spec.volumes?.find((entry) => entry.name === mount?.name);
      expect(volume?.emptyDir).toBeInstanceOf(Object);
    }
  });

  it.each(podsUnderTest)('sets CPU and memory requests and limits in the %s', (_name, pod) => {
    for (const container of pod.spec.containers) {
      for (const bound of [container.resources?.requests, container.resources?.limits]) {
        expect(Object.keys(bound ?? {}).sort()).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('gives a pod longer to terminate than the service needs to drain and shut down', () => {
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(
      shutdownBudgetS(podConfig(apiContainer)),
    );
  });

  it('configures the replicas for production and leaves migrations to the Job', () => {
    const config = podConfig(apiContainer);
    expect(config.isProduction).toBe(true);
    expect(config.database.runMigrations).toBe(false);
    expect(config.auth.privateKeyFile).toBeTruthy();
  });

  it('stores ConfigMap data and literal env values as strings, as Kubernetes requires', () => {
    const literals = [apiContainer, migrationContainer].flatMap((container) =>
      (container.env ?? []).filter((variable) => variable.valueFrom === undefined),
    );
    const values = [...Object.values(configMap.data), ...literals.map((entry) => entry.value)];
    expect(values.filter((value) => typeof value !== 'string')).toEqual([]);
  });

  it.each([
    ['Deployment', apiContainer, deployment.spec.template],
    ['migration Job', migrationContainer, job.spec.template],
  ] as const)(
    'reads in the %s only Secrets and keys the example documents',
    (_name, container, pod) => {
      const refs = (container.env ?? []).flatMap((variable) =>
        variable.valueFrom?.secretKeyRef ? [variable.valueFrom.secretKeyRef] : [],
      );
      expect(refs.length).toBeGreaterThan(0);
      expect(refs.filter((ref) => secretValue(ref.name, ref.key) === undefined)).toEqual([]);
      const secretVolumes = (pod.spec.volumes ?? []).flatMap((volume) =>
        volume.secret ? [volume.secret.secretName] : [],
      );
      const documented = new Set(exampleSecrets.map((secret) => secret.metadata.name));
      expect(secretVolumes.filter((name) => !documented.has(name))).toEqual([]);
      const configMaps = (container.envFrom ?? []).flatMap((source) =>
        source.configMapRef ? [source.configMapRef.name] : [],
      );
      expect(configMaps).toEqual([configMap.metadata.name]);
    },
  );

  it.each([
    ['Deployment', apiContainer, deployment.spec.template],
    ['migration Job', migrationContainer, job.spec.template],
  ] as const)('mounts the JWT key in the %s as a file from a Secret', (_name, container, pod) => {
    const keyFile = podEnvironment(container).JWT_PRIVATE_KEY_FILE ?? '';
    const mount = container.volumeMounts?.find((entry) =>
      keyFile.startsWith(entry.mountPath.replace(/\/?$/, '/')),
    );
    const secretName = pod.spec.volumes?.find((volume) => volume.name === mount?.name)?.secret
      ?.secretName;
    const key = path.posix.relative(mount?.mountPath ?? '/', keyFile);
    expect(secretValue(secretName ?? '', key)).toContain('PRIVATE KEY');
  });

  it('selects the Deployment pods from the Service and the PodDisruptionBudget', () => {
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it('keeps the migration Job pods out of the Service and the PodDisruptionBudget', () => {
    const jobLabels = job.spec.template.metadata.labels;
    expect(selects(service.spec.selector, jobLabels)).toBe(false);
    expect(selects(pdb.spec.selector.matchLabels, jobLabels)).toBe(false);
    expect(selects(deployment.spec.selector.matchLabels, jobLabels)).toBe(false);
  });

  it('exposes the service as a ClusterIP on port 80 routed to the container port', () => {
    expect(service.spec.type ?? 'ClusterIP').toBe('ClusterIP');
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0].port).toBe(80);
    expect(resolvePort(apiContainer, service.spec.ports[0].targetPort)).toBe(
      podConfig(apiContainer).http.port,
    );
  });

  it('scales the Deployment on 70% CPU between 3 and 10 replicas', () => {
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 10]);
    expect(deployment.spec.replicas).toBe(hpa.spec.minReplicas);
    const cpu = hpa.spec.metrics.find((metric) => metric.resource?.name === 'cpu');
    expect(cpu?.resource?.target).toEqual({ type: 'Utilization', averageUtilization: 70 });
  });

  it('lets a voluntary disruption take down some replicas but never all of them', () => {
    expect(pdb.apiVersion).toBe('policy/v1');
    const { minAvailable, maxUnavailable } = pdb.spec;
    const disruptable =
      maxUnavailable ?? (minAvailable === undefined ? 0 : hpa.spec.minReplicas - minAvailable);
    expect(disruptable).toBeGreaterThanOrEqual(1);
    expect(disruptable).toBeLessThan(hpa.spec.minReplicas);
  });

  it("keeps every replica's database pool within PostgreSQL's default max_connections", () => {
    const poolSize = podConfig(apiContainer).database.poolSize;
    expect(
      hpa.spec.maxReplicas * poolSize + podConfig(migrationContainer).database.poolSize,
    ).toBeLessThan(100);
  });

  it('spreads the replicas across nodes', () => {
    const spec = deployment.spec.template.spec;
    const byHostname = [
      ...(spec.topologySpreadConstraints ?? []),
      ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      ...(
        spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
      ).map((term) => term.podAffinityTerm),
    ].filter(
      (term) =>
        term.topologyKey === 'kubernetes.io/hostname' &&
        selects(term.labelSelector?.matchLabels ?? {}, podLabels),
    );
    expect(byHostname.length).toBeGreaterThan(0);
  });

  it('announces the metrics endpoint to Prometheus on the container port', () => {
    expect(deployment.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(podConfig(apiContainer).http.port),
      'prometheus.io/path': '/metrics',
    });
  });

  it('runs the migration CLI from the API image with retries and a cleanup TTL', () => {
    expect(migrationContainer.image).toBe(apiContainer.image);
    expect(isPinnedImage(apiContainer.image)).toBe(true);
    expect([...(migrationContainer.command ?? []), ...(migrationContainer.args ?? [])]).toEqual([
      'node',
      'dist/database/migration-cli.js',
      'run',
    ]);
    expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(1);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(['Never', 'OnFailure']).toContain(job.spec.template.spec.restartPolicy);
    expect(() => podConfig(migrationContainer)).not.toThrow();
  });
});

describe('environment variables in the deployment files', () => {
  it('reads the names the service knows from its environment schema', () => {
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_PRIVATE_KEY_FILE', 'SHUTDOWN_DRAIN_MS']) {
      expect(knownEnvironmentNames).toContain(name);
    }
  });

  it('sets only variables the service knows, in compose, the ConfigMap and the pods', () => {
    const used = {
      'docker-compose.yml api': Object.keys(composeEnvironment(compose.services.api)),
      ConfigMap: Object.keys(configMap.data),
      Deployment: (apiContainer.env ?? []).map((variable) => variable.name),
      'migration Job': (migrationContainer.env ?? []).map((variable) => variable.name),
    };
    const unknown = Object.entries(used).flatMap(([where, names]) =>
      names.filter((name) => !knownEnvironmentNames.has(name)).map((name) => `${where}: ${name}`),
    );
    expect(Object.values(used).flat().length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });
});
