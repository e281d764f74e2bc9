import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// Not deploy-files' root: importing that module renders deploy/k8s with kubectl.
const root = path.resolve(import.meta.dirname, '../..');

export const rulesFile = path.join(root, 'deploy/prometheus/alerts.yml');
export const ruleTestsDir = path.join(root, 'deploy/prometheus/tests');
export const dashboardFile = path.join(root, 'deploy/grafana/dashboard.json');

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const rules = (
  parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: Rule[] }> }
).groups.flatMap((group) => group.rules);
export const alerts = rules.filter((rule) => rule.alert !== undefined);
export const recordingRules = new Map(
  rules.flatMap((rule) => (rule.record ? [[rule.record, rule.expr] as const] : [])),
);

export const ruleTestFiles = readdirSync(ruleTestsDir)
  .filter((file) => file.endsWith('.yml'))
  .map((file) => path.join(ruleTestsDir, file));

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  templating?: { list: Array<{ name: string; type: string; query?: unknown }> };
  panels: Panel[];
}

export const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;

/** Every query of the dashboard, rows' nested panels included, with its panel's title. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const walk = (panels: Panel[]): Array<{ panel: string; expr: string }> =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((target) =>
        target.expr ? [{ panel: panel.title ?? '', expr: target.expr }] : [],
      ),
      ...walk(panel.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface SeriesSelector {
  name: string;
  matchers: Matcher[];
}

/** Clauses whose parentheses hold label names, not expressions. */
const LABEL_LIST_CLAUSES = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
/** Aggregation operators, which may be followed by a by/without clause instead of `(`. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/y;
const MATCHER =
  /\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?/y;

function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  return literal.slice(1, -1).replace(/\\(.)/g, '$1');
}

function parseMatchers(block: string): Matcher[] {
  const matchers: Matcher[] = [];
  MATCHER.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (MATCHER.lastIndex < block.length && (match = MATCHER.exec(block))) {
    matchers.push({ label: match[1], op: match[2] as Matcher['op'], value: unquote(match[3]) });
  }
  if (block.slice(MATCHER.lastIndex).trim() !== '') {
    throw new Error(`Cannot read the label matchers {${block}}`);
  }
  return matchers;
}

/**
 * The series selectors of a PromQL expression, read crudely but strictly enough for our rules:
 * identifiers not followed by `(` (functions) that are not keywords, with their `{...}` matchers.
 * Label lists of by/on/... clauses, strings, durations and Grafana variables are skipped.
 */
export function selectorsIn(expr: string): SeriesSelector[] {
  const selectors: SeriesSelector[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && /\s/.test(expr[i])) i += 1;
  };
  const closing = (open: string, close: string): number => {
    let depth = 0;
    for (let j = i; j < expr.length; j += 1) {
      if (expr[j] === '"' || expr[j] === "'" || expr[j] === '`') {
        STRING.lastIndex = j;
        const literal = STRING.exec(expr);
        if (!literal) throw new Error(`Unterminated string in ${expr}`);
        j += literal[0].length - 1;
      } else if (expr[j] === open) depth += 1;
      else if (expr[j] === close && (depth -= 1) === 0) return j;
    }
    throw new Error(`Unbalanced ${open} in ${expr}`);
  };
  while (i < expr.length) {
    const char = expr[i];
    if (char === '"' || char === "'" || char === '`') {
      STRING.lastIndex = i;
      const literal = STRING.exec(expr);
      if (!literal) throw new Error(`Unterminated string in ${expr}`);
      i += literal[0].length;
    } else if (char === '[') {
      i = closing('[', ']') + 1;
    } else if (char === '$') {
      i += /^\$\{?\w+\}?/.exec(expr.slice(i))?.[0].length ?? 1;
    } else if (/[0-9.]/.test(char)) {
      i += /^[0-9.][\w.+-]*/.exec(expr.slice(i))?.[0].length ?? 1;
    } else if (/[a-zA-Z_:]/.test(char)) {
      const word = /^[a-zA-Z_:][\w:]*/.exec(expr.slice(i))![0];
      i += word.length;
      skipSpace();
      if (expr[i] === '(') {
        if (LABEL_LIST_CLAUSES.has(word)) i = closing('(', ')') + 1;
        continue;
      }
      if (KEYWORDS.has(word) || LABEL_LIST_CLAUSES.has(word) || AGGREGATIONS.has(word)) continue;
      let matchers: Matcher[] = [];
      if (expr[i] === '{') {
        const end = closing('{', '}');
        matchers = parseMatchers(expr.slice(i + 1, end));
        i = end + 1;
      }
      selectors.push({ name: word, matchers });
    } else {
      i += 1;
    }
  }
  return selectors;
}

/** The exported metrics a recording rule is computed from (through other recording rules). */
export function sourcesOf(name: string, seen = new Set<string>()): string[] {
  const expr = recordingRules.get(name);
  if (expr === undefined) return [name];
  if (seen.has(name)) return [];
  seen.add(name);
  return [...new Set(selectorsIn(expr).flatMap((selector) => sourcesOf(selector.name, seen)))];
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
}

/** The samples of a Prometheus text exposition (names and labels; values are not needed). */
export function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const name = /^[a-zA-Z_:][\w:]*/.exec(line)![0];
      const labels: Record<string, string> = {};
      if (line[name.length] === '{') {
        const block = line.slice(name.length + 1, line.lastIndexOf('}'));
        for (const match of block.matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
          labels[match[1]] = match[2].replace(/\\(.)/g, '$1');
        }
      }
      return { name, labels };
    });
}
