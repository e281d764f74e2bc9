// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package.
// Also runnable alone: `node bench/profile-summary.mjs <file.cpuprofile> [top]`.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function where(url) {
  if (!url) return '';
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  return file.startsWith(root) ? path.relative(root, file) : file;
}

/** `node_modules/<package>`, `dist` (the service's own code), `node:` internals, or V8's buckets. */
function packageOf(functionName, url) {
  if (!url) return `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const file = where(url);
  const modules = file.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = file.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:')) return 'node internals';
  if (file.startsWith('dist/')) return `service: ${file.split('/')[1]}`;
  return file;
}

/**
 * `fromUs`/`toUs`: only samples between these CLOCK_MONOTONIC times in microseconds (what
 * `process.hrtime.bigint() / 1000n` reads in any process), to leave out startup and warm-up.
 */
export function summarizeProfile(file, { top = 25, fromUs = 0, toUs = Infinity } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  let timestamp = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    timestamp += delta;
    if (timestamp < fromUs || timestamp > toUs) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const parents = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node);
  }
  const frameKey = ({ functionName, url, lineNumber }) =>
    url ? `${functionName || '(anonymous)'}  ${where(url)}:${lineNumber + 1}` : functionName;
  // For Node's own functions, the nearest caller in a package or in the service says who asked.
  const callerOf = (node) => {
    for (let up = parents.get(node.id); up; up = parents.get(up.id)) {
      const { url } = up.callFrame;
      if (url && !url.startsWith('node:')) return frameKey(up.callFrame);
    }
    return undefined;
  };
  const functions = new Map();
  const callers = new Map();
  const packages = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const { functionName, url } = node.callFrame;
    const key = frameKey(node.callFrame);
    functions.set(key, (functions.get(key) ?? 0) + us);
    const owner = packageOf(functionName || '(anonymous)', url);
    packages.set(owner, (packages.get(owner) ?? 0) + us);
    const caller = url.startsWith('node:') ? callerOf(node) : undefined;
    if (caller) {
      if (!callers.has(key)) callers.set(key, new Map());
      callers.get(key).set(caller, (callers.get(key).get(caller) ?? 0) + us);
    }
  }
  const mainCaller = (key) =>
    callers.has(key)
      ? [...callers.get(key).entries()].sort((a, b) => b[1] - a[1])[0][0]
      : undefined;
  const idleUs = functions.get('(idle)') ?? 0;
  const busyUs = totalUs - idleUs;
  const rank = (map) =>
    [...map.entries()]
      .filter(([key]) => key !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: us / 1000,
        percentOfBusy: (100 * us) / busyUs,
        via: mainCaller(name),
      }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions: rank(functions),
    packages: rank(packages),
  };
}

export function formatProfile(title, summary) {
  const row = (item) =>
    `${item.percentOfBusy.toFixed(1).padStart(5)}%  ${item.ms.toFixed(0).padStart(7)} ms  ${item.name}` +
    (item.via ? `  <- ${item.via}` : '');
  return [
    `## ${title}`,
    `busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled (rest idle)`,
    '',
    'Self time by package:',
    ...summary.packages.map(row),
    '',
    'Self time by function:',
    ...summary.functions.map(row),
    '',
  ].join('\n');
}

if (process.argv[1] === import.meta.filename) {
  const [file, top] = process.argv.slice(2);
  console.log(
    formatProfile(path.basename(file), summarizeProfile(file, { top: Number(top ?? 25) })),
  );
}
