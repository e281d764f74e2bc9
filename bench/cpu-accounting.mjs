// On a shared machine, other work silently lowers every number. A snapshot before and after a
// round tells how much CPU went to processes that are not the benchmark's (Linux /proc only):
// everything busy minus this process tree (reaped children included), PostgreSQL and Redis.
import { readdirSync, readFileSync } from 'node:fs';

const OWN_SERVERS = new Set(['postgres', 'redis-server']);

function readProcess(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const name = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // Fields after the name, from 0: state, ppid ... utime (11), stime (12), cutime (13), cstime (14).
    return {
      pid,
      name,
      ppid: Number(fields[1]),
      cpu: Number(fields[11]) + Number(fields[12]),
      children: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

function machineTicks() {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number);
  return {
    busy: user + nice + system,
    all: user + nice + system + idle + iowait + irq + softirq + steal,
    steal,
  };
}

export function cpuSnapshot() {
  const processes = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcess(Number(entry)))
    .filter(Boolean);
  const byParent = new Map();
  for (const item of processes) {
    if (!byParent.has(item.ppid)) byParent.set(item.ppid, []);
    byParent.get(item.ppid).push(item);
  }
  const own = new Set();
  const visit = (pid) => {
    for (const child of byParent.get(pid) ?? []) {
      own.add(child);
      visit(child.pid);
    }
  };
  visit(process.pid);
  for (const item of processes) if (OWN_SERVERS.has(item.name)) own.add(item);
  const self = readProcess(process.pid);
  let ownTicks = self.cpu + self.children;
  for (const item of own) ownTicks += item.cpu;
  return { ...machineTicks(), own: ownTicks };
}

/** CPU used by other processes between two snapshots, and steal, in percent of all cores. */
export function foreignCpu(before, after) {
  const all = after.all - before.all;
  if (all <= 0) return { foreignPercent: 0, stealPercent: 0 };
  const foreign = after.busy - before.busy - (after.own - before.own);
  return {
    foreignPercent: Math.max(0, (100 * foreign) / all),
    stealPercent: (100 * (after.steal - before.steal)) / all,
  };
}
