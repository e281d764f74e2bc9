import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { loadAppConfig, type AppConfig } from '../../src/config/app-config.js';
import { loadMigrationConfig } from '../../src/config/migration-config.js';
import { loadSessionsPurgeConfig } from '../../src/config/sessions-purge-config.js';

export const root = path.resolve(import.meta.dirname, '../..');
export const k8sDir = path.join(root, 'deploy/k8s');
export const readText = (file: string): string => readFileSync(path.join(root, file), 'utf8');

export function isPinnedImage(image: string): boolean {
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

export interface PodTemplate {
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

export interface Manifest {
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

interface CronJob extends Manifest {
  spec: {
    schedule: string;
    concurrencyPolicy?: string;
    jobTemplate: Pick<Job, 'spec'>;
  };
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
  labels?: Array<{ pairs: Labels; includeSelectors?: boolean; includeTemplates?: boolean }>;
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
  ports?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

export const k8sFiles = readdirSync(k8sDir).sort();

/** Files in deploy/k8s that `kubectl kustomize` deliberately does not render, and why. */
export const NOT_RENDERED: Record<string, string> = {
  'kustomization.yaml': 'the kustomization itself',
  'secret.example.yaml': 'placeholders: the operator creates the real Secrets before applying',
};

const parseDocuments = (text: string) =>
  parseAllDocuments(text).map((document) => ({
    errors: document.errors.map((error) => error.message),
    manifest: document.toJS() as Manifest,
  }));

/** The documents of one file in deploy/k8s, as written (not rendered). */
export const sourceDocuments = (file: string) =>
  parseDocuments(readFileSync(path.join(k8sDir, file), 'utf8'));

export const kustomization = parse(readText('deploy/k8s/kustomization.yaml')) as Kustomization;
export const exampleSecretDocuments = sourceDocuments('secret.example.yaml');
export const exampleSecrets = exampleSecretDocuments.map((entry) => entry.manifest as Secret);

const KUBECTL_MISSING =
  'kubectl is not installed: the checks of deploy/k8s read what `kubectl kustomize deploy/k8s` ' +
  'renders (kubectl >= 1.27, whose kustomize v5 knows `labels:`)';

/** What an operator applies; undefined, with a warning, when kubectl is missing outside CI. */
function renderKustomization(): string | undefined {
  try {
    return execFileSync('kubectl', ['kustomize', k8sDir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (process.env.CI === 'true') throw new Error(`${KUBECTL_MISSING}.`, { cause: error });
    console.warn(`${KUBECTL_MISSING}; skipping those checks.`);
    return undefined;
  }
}

const rendered = renderKustomization();
export const isRendered = rendered !== undefined;
export const renderedDocuments = parseDocuments(rendered ?? '');
export const manifests = renderedDocuments.map((entry) => entry.manifest);

/** describe() for checks of the rendered manifests: skipped when kubectl is missing outside CI. */
export function describeRendered(name: string, body: () => void): void {
  if (isRendered) {
    describe(name, body);
    return;
  }
  // eslint-disable-next-line jest/no-disabled-tests -- reported as skipped, never as passed
  describe.skip(name, () => it('needs kubectl', () => undefined));
}

/** it() for a check that reads a rendered manifest. */
export const itRendered = isRendered ? it : it.skip;

// Stands in for a rendered object when kubectl is missing: touching it outside
// describeRendered/itRendered fails with the reason.
const unrendered = new Proxy(
  {},
  {
    get() {
      throw new Error(
        `${KUBECTL_MISSING}; read rendered manifests inside describeRendered/itRendered`,
      );
    },
  },
);
const fromRender = <T>(pick: () => T): T => (isRendered ? pick() : (unrendered as T));

function only<T extends Manifest>(kind: string): T {
  return fromRender(() => {
    const matches = manifests.filter((manifest) => manifest.kind === kind);
    if (matches.length !== 1) {
      throw new Error(`expected one ${kind} in the rendered deploy/k8s, found ${matches.length}`);
    }
    return matches[0] as T;
  });
}

export const deployment = only<Deployment>('Deployment');
export const job = only<Job>('Job');
export const cronJob = only<CronJob>('CronJob');
export const service = only<Service>('Service');
export const hpa = only<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
export const pdb = only<PodDisruptionBudget>('PodDisruptionBudget');
export const configMap = only<ConfigMap>('ConfigMap');
export const apiContainer = fromRender(() => deployment.spec.template.spec.containers[0]);
export const migrationContainer = fromRender(() => job.spec.template.spec.containers[0]);
export const purgeContainer = fromRender(
  () => cronJob.spec.jobTemplate.spec.template.spec.containers[0],
);

export const compose = parse(readText('docker-compose.yml')) as ComposeFile;

export const knownEnvironmentNames = new Set([
  'NODE_ENV',
  ...[
    ...readText('src/config/env.schema.ts').matchAll(/^\s*(?:@\S+\s+)*([A-Z][A-Z0-9_]+)\??:/gm),
  ].map((match) => match[1]),
]);

/** What an operator must set before `docker compose up` (the compose file refuses to default it). */
export const OPERATOR_VARIABLES: Record<string, string> = {
  POSTGRES_PASSWORD: 'operator-chosen-password',
};

/**
 * Compose's interpolation with only `variables` set: `${NAME:-default}` / `${NAME-default}` take
 * the default, `${NAME:?message}` / `${NAME?message}` fail as compose does, `$$` is a `$`.
 */
export function interpolate(value: string, variables: Record<string, string>): string {
  return value
    .replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
      (_match, name: string, colon: string, kind: string | undefined, text: string) => {
        const set = variables[name];
        if (set !== undefined && (colon !== ':' || set !== '')) return set;
        if (kind === '-') return text;
        if (kind === '?') throw new Error(`required variable ${name} is missing: ${text}`);
        throw new Error(`\${${name}} has no default`);
      },
    )
    .replace(/\$\$/g, '$');
}

export function composeEnvironment(
  composeService: ComposeService,
  variables: Record<string, string> = OPERATOR_VARIABLES,
): Record<string, string> {
  const raw = composeService.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)])
    : Object.entries(raw).map(([name, value]) => [name, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([name, value]) => [name, interpolate(value, variables)]));
}

export const secretValue = (name: string, key: string): string | undefined =>
  exampleSecrets.find((secret) => secret.metadata.name === name)?.stringData[key];

/** What the container sees; Secret references resolve to the example Secret's placeholders. */
export function podEnvironment(container: Container): Record<string, string> {
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

export const composeApiConfig = (): AppConfig =>
  loadAppConfig(composeEnvironment(compose.services.api));
export const podConfig = (container: Container): AppConfig =>
  loadAppConfig(podEnvironment(container));
/** What the migration CLI reads of the container's environment (database settings only). */
export const podMigrationConfig = (container: Container) =>
  loadMigrationConfig(podEnvironment(container));

/** What the session purge CLI reads of the container's environment. */
export const podPurgeConfig = (container: Container) =>
  loadSessionsPurgeConfig(podEnvironment(container));

/** Seconds the service may need after SIGTERM: the drain, then the bounded shutdown. */
export const shutdownBudgetS = (config: AppConfig): number =>
  (config.shutdown.drainMs + config.shutdown.timeoutMs) / 1000;

/** A Kubernetes memory quantity (`384Mi`, `1Gi`, `512M`) in MiB. */
export function mebibytes(quantity: string): number {
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

export function durationSeconds(value: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
    throw new Error(`unreadable duration "${value}"`);
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0);
}

export const selects = (selector: Labels, labels: Labels | undefined): boolean =>
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

export function resolvePort(
  container: Container,
  port: number | string | undefined,
): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

export function effectiveSecurity(pod: PodTemplate, container: Container): SecurityContext {
  return { ...pod.spec.securityContext, ...container.securityContext };
}
