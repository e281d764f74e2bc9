import { describe, expect, it } from '@jest/globals';
import {
  apiContainer,
  isPinnedImage,
  itRendered,
  mebibytes,
  readText,
} from '../support/deploy-files.js';
import { copiesOf, instructionsOf, parseDockerfile, stageChain } from '../support/dockerfile.js';

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
      copy.sources.some((source) => /(^|\/)dist(\/bundle)?\/?$/.test(source)),
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

  it('ships only the packages the bundles load, picked from the production install', () => {
    const modulesCopy = copiesOf(runtimeChain).find((copy) =>
      copy.sources.some((source) => /(^|\/)node_modules\/?$/.test(source)),
    );
    const runs = instructionsOf([stageNamed(modulesCopy?.from) ?? runtime], 'RUN');
    const pick = runs.findIndex((run) => /node scripts\/runtime-modules\.mjs/.test(run));
    expect(pick).toBeGreaterThan(runs.findIndex((run) => /--omit=dev\b/.test(run)));
    expect(modulesCopy?.sources).toEqual(['/runtime/node_modules']);
  });

  it('copies only the bundles, the picked node_modules and package.json into the runtime image', () => {
    const copied = copiesOf(runtimeChain).flatMap((copy) => copy.sources);
    expect(copied.sort()).toEqual(['/app/dist/bundle', '/runtime/node_modules', 'package.json']);
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

  itRendered("bounds the V8 heap in the image well inside the API container's memory limit", () => {
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
