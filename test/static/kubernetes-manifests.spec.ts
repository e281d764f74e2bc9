import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CronJob as CronJobModel } from 'kubernetes-models/batch/v1/CronJob';
import { Job as JobModel } from 'kubernetes-models/batch/v1/Job';
import { Deployment as DeploymentModel } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler as HorizontalPodAutoscalerModel } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget as PodDisruptionBudgetModel } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap as ConfigMapModel } from 'kubernetes-models/v1/ConfigMap';
import { Service as ServiceModel } from 'kubernetes-models/v1/Service';
import { loadAppConfig } from '../../src/config/app-config.js';
import {
  apiContainer,
  configMap,
  cronJob,
  deployment,
  describeRendered,
  effectiveSecurity,
  exampleSecretDocuments,
  exampleSecrets,
  hpa,
  isPinnedImage,
  job,
  k8sDir,
  k8sFiles,
  kustomization,
  manifests,
  migrationContainer,
  NOT_RENDERED,
  pdb,
  podConfig,
  podEnvironment,
  podMigrationConfig,
  podPurgeConfig,
  purgeContainer,
  renderedDocuments,
  resolvePort,
  secretValue,
  selects,
  service,
  shutdownBudgetS,
  sourceDocuments,
  type Manifest,
  type PodTemplate,
} from '../support/deploy-files.js';

type ApiModel = new (data: object) => { validate(): void };
/** Offline Kubernetes API schemas (kubernetes-models), by `apiVersion/kind`. */
const apiSchemas = new Map<string, ApiModel>(
  [
    ConfigMapModel,
    ServiceModel,
    DeploymentModel,
    HorizontalPodAutoscalerModel,
    PodDisruptionBudgetModel,
    JobModel,
    CronJobModel,
  ].map((model) => [`${model.apiVersion}/${model.kind}`, model as unknown as ApiModel]),
);

function schemaProblems(manifest: Manifest): string[] {
  const where = `${manifest.kind}/${manifest.metadata.name}`;
  const Model = apiSchemas.get(`${manifest.apiVersion}/${manifest.kind}`);
  if (!Model) return [`${where}: no schema for ${manifest.apiVersion} ${manifest.kind}`];
  try {
    new Model(manifest).validate();
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}

const identity = (manifest: Manifest) => `${manifest.kind}/${manifest.metadata.name}`;

describe('deploy/k8s/kustomization.yaml', () => {
  it('lists every file in deploy/k8s as a resource or as deliberately not rendered', () => {
    const unaccounted = k8sFiles.filter(
      (file) => !kustomization.resources.includes(file) && !Object.hasOwn(NOT_RENDERED, file),
    );
    expect(unaccounted).toEqual([]);
    expect(kustomization.resources.filter((file) => Object.hasOwn(NOT_RENDERED, file))).toEqual([]);
    expect(Object.keys(NOT_RENDERED).filter((file) => !k8sFiles.includes(file))).toEqual([]);
    expect(kustomization.resources.filter((file) => !existsSync(path.join(k8sDir, file)))).toEqual(
      [],
    );
  });

  it('sets common labels without adding them to selectors', () => {
    expect(kustomization.labels?.length).toBeGreaterThan(0);
    for (const entry of kustomization.labels ?? []) {
      expect(Object.keys(entry.pairs).length).toBeGreaterThan(0);
      // Selectors are immutable: a label added to them would make every later apply fail.
      expect(entry.includeSelectors ?? false).toBe(false);
    }
  });

  it('keeps placeholders only in the example Secret', () => {
    expect(exampleSecretDocuments.filter((entry) => entry.errors.length > 0)).toEqual([]);
    const values = exampleSecrets.flatMap((secret) => Object.values(secret.stringData ?? {}));
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((value) => !value.includes('EXAMPLE'))).toEqual([]);
  });
});

describeRendered('Kubernetes manifests (kubectl kustomize deploy/k8s)', () => {
  const podLabels = deployment.spec.template.metadata.labels;
  const purgePod = cronJob.spec.jobTemplate.spec.template;
  const podsUnderTest: Array<[string, PodTemplate]> = [
    ['Deployment', deployment.spec.template],
    ['migration Job', job.spec.template],
    ['sessions purge CronJob', purgePod],
  ];

  it('renders exactly the objects of the files kustomization.yaml lists', () => {
    expect(renderedDocuments.filter((entry) => entry.errors.length > 0)).toEqual([]);
    const listed = kustomization.resources.flatMap((file) =>
      sourceDocuments(file).map((entry) => identity(entry.manifest)),
    );
    expect(manifests.map(identity).sort()).toEqual(listed.sort());
  });

  it('applies the common labels to every rendered object', () => {
    const common = Object.assign({}, ...(kustomization.labels ?? []).map((entry) => entry.pairs));
    expect(Object.keys(common).length).toBeGreaterThan(0);
    const unlabelled = manifests.filter((manifest) => !selects(common, manifest.metadata.labels));
    expect(unlabelled.map(identity)).toEqual([]);
  });

  it('passes the Kubernetes API schema of each kind', () => {
    expect(manifests.flatMap(schemaProblems)).toEqual([]);
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: 'three' } };
    expect(schemaProblems(broken as unknown as Manifest)).toEqual([
      expect.stringMatching(/replicas must be integer/),
    ]);
  });

  it('runs the session purge as a CronJob beside the migration Job', () => {
    const batch = manifests.filter((manifest) => ['Job', 'CronJob'].includes(manifest.kind));
    expect(batch.map(identity).sort()).toEqual([
      `CronJob/${cronJob.metadata.name}`,
      `Job/${job.metadata.name}`,
    ]);
    expect(cronJob.metadata.name).toMatch(/sessions-purge/);
    expect(purgeContainer.args ?? purgeContainer.command).toContain(
      'dist/bundle/sessions-purge.cli.js',
    );
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
    expect(config.mail.smtpUrl).toBeTruthy();
    expect(config.account.appUrl).toMatch(/^https:\/\//);
  });

  it('takes SMTP_URL, which carries credentials, from the Secret and never from the ConfigMap', () => {
    expect(Object.keys(configMap.data)).not.toContain('SMTP_URL');
    const smtp = (apiContainer.env ?? []).find((variable) => variable.name === 'SMTP_URL');
    expect(smtp?.value).toBeUndefined();
    expect(smtp?.valueFrom?.secretKeyRef).toEqual({
      name: 'user-auth-service-secrets',
      key: 'SMTP_URL',
    });
    expect(podConfig(apiContainer).mail.smtpUrl).toMatch(/^smtps?:\/\/EXAMPLE_USER:/);
  });

  it('refuses to start the replicas when the Secret lacks SMTP_URL or the ConfigMap APP_URL', () => {
    const environment = podEnvironment(apiContainer);
    expect(() => loadAppConfig({ ...environment, SMTP_URL: '' })).toThrow(
      /SMTP_URL is required in production/,
    );
    expect(() => loadAppConfig({ ...environment, APP_URL: undefined })).toThrow(
      /APP_URL is required in production/,
    );
  });

  it('links mails to a front end whose origin CORS admits', () => {
    const config = podConfig(apiContainer);
    expect(config.http.corsOrigins).toContain(new URL(config.account.appUrl).origin);
  });

  it('stores ConfigMap data and literal env values as strings, as Kubernetes requires', () => {
    const literals = [apiContainer, migrationContainer, purgeContainer].flatMap((container) =>
      (container.env ?? []).filter((variable) => variable.valueFrom === undefined),
    );
    const values = [...Object.values(configMap.data), ...literals.map((entry) => entry.value)];
    expect(values.filter((value) => typeof value !== 'string')).toEqual([]);
  });

  it.each([
    ['Deployment', apiContainer, deployment.spec.template],
    ['migration Job', migrationContainer, job.spec.template],
    ['sessions purge CronJob', purgeContainer, purgePod],
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

  it('mounts the JWT key in the Deployment as a file from a Secret', () => {
    const keyFile = podEnvironment(apiContainer).JWT_PRIVATE_KEY_FILE ?? '';
    const mount = apiContainer.volumeMounts?.find((entry) =>
      keyFile.startsWith(entry.mountPath.replace(/\/?$/, '/')),
    );
    const secretName = deployment.spec.template.spec.volumes?.find(
      (volume) => volume.name === mount?.name,
    )?.secret?.secretName;
    const key = path.posix.relative(mount?.mountPath ?? '/', keyFile);
    expect(secretValue(secretName ?? '', key)).toContain('PRIVATE KEY');
  });

  it.each([
    ['migration Job', migrationContainer, job.spec.template],
    ['sessions purge CronJob', purgeContainer, purgePod],
  ] as const)(
    'gives the %s the database secret and nothing else: no JWT key, no Redis, no SMTP',
    (_name, container, pod) => {
      const environment = podEnvironment(container);
      expect(Object.keys(environment).filter((name) => /^(JWT_|REDIS_|SMTP_)/.test(name))).toEqual(
        [],
      );
      const secretKeys = (container.env ?? []).flatMap((variable) =>
        variable.valueFrom?.secretKeyRef ? [variable.valueFrom.secretKeyRef.key] : [],
      );
      expect(secretKeys).toEqual(['DATABASE_URL']);
      const secretVolumes = (pod.spec.volumes ?? []).filter((volume) => volume.secret);
      expect(secretVolumes).toEqual([]);
      expect((container.envFrom ?? []).filter((source) => source.secretRef)).toEqual([]);
    },
  );

  it('selects the Deployment pods from the Service and the PodDisruptionBudget', () => {
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it.each([
    ['migration Job', job.spec.template],
    ['sessions purge CronJob', purgePod],
  ] as const)('keeps the %s pods out of the Service and the PodDisruptionBudget', (_name, pod) => {
    const jobLabels = pod.metadata.labels;
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
    // The purge CLI opens two connections whatever DB_POOL_SIZE says.
    expect(
      hpa.spec.maxReplicas * poolSize +
        podMigrationConfig(migrationContainer).database.poolSize +
        2,
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
      'dist/bundle/migration-cli.js',
      'run',
    ]);
    expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(1);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(['Never', 'OnFailure']).toContain(job.spec.template.spec.restartPolicy);
    expect(podMigrationConfig(migrationContainer).database.url).toBeTruthy();
  });

  it('runs the session purge CLI hourly from the API image, one run at a time, the replicas leaving it to the CronJob', () => {
    expect(purgeContainer.image).toBe(apiContainer.image);
    expect([...(purgeContainer.command ?? []), ...(purgeContainer.args ?? [])]).toEqual([
      'node',
      'dist/bundle/sessions-purge.cli.js',
    ]);
    expect(cronJob.apiVersion).toBe('batch/v1');
    expect(cronJob.spec.schedule).toMatch(/^\d+ \* \* \* \*$/);
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(['Never', 'OnFailure']).toContain(purgePod.spec.restartPolicy);
    const purge = podPurgeConfig(purgeContainer);
    expect(purge.database.url).toBeTruthy();
    // The CronJob reads the lifetimes the replicas read (the same ConfigMap).
    expect(podConfig(apiContainer).auth).toMatchObject(purge.sessions);
    expect(podConfig(apiContainer).auth.sessionPurgeIntervalS).toBe(0);
  });
});
