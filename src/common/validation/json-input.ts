/**
 * Deeper than any DTO (the deepest accepts 2 levels), shallow enough that no recursive library
 * code (class-transformer, class-validator, the logger's serializers) can run out of stack.
 */
export const MAX_JSON_DEPTH = 32;

export type JsonInputProblem =
  { kind: 'too_deep'; field: string } | { kind: 'ill_formed_text'; field: string };

interface Pending {
  value: unknown;
  depth: number;
  key: string;
  parent: Pending | undefined;
}

/** `a.b[0].c`, built only when a problem is reported; ill-formed keys are made printable. */
function fieldOf(entry: Pending): string {
  const chain: Pending[] = [];
  for (let link: Pending = entry; link.parent !== undefined; link = link.parent) chain.push(link);
  let field = '';
  for (const link of chain.reverse()) {
    const key = link.key.toWellFormed();
    if (Array.isArray(link.parent?.value)) field = `${field}[${key}]`;
    else field = field ? `${field}.${key}` : key;
  }
  return field || 'body';
}

/**
 * The first thing in a parsed JSON value that no route accepts: nesting deeper than `maxDepth`, or
 * a key or string that is not well-formed Unicode (a lone UTF-16 surrogate, which PostgreSQL and
 * `encodeURI` inside validators cannot take). Iterative, so a 3,000-level body costs a loop, not
 * the stack.
 */
export function findJsonInputProblem(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
): JsonInputProblem | undefined {
  const root: Pending = { value, depth: 0, key: '', parent: undefined };
  const stack: Pending[] = [root];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const current = entry.value;
    if (typeof current === 'string') {
      if (!current.isWellFormed()) {
        return { kind: 'ill_formed_text', field: fieldOf(entry) };
      }
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (entry.depth >= maxDepth) return { kind: 'too_deep', field: fieldOf(entry) };
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) {
        stack.push({
          value: current[index],
          depth: entry.depth + 1,
          key: String(index),
          parent: entry,
        });
      }
      continue;
    }
    const keys = Object.keys(current);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index];
      const child: Pending = {
        value: (current as Record<string, unknown>)[key],
        depth: entry.depth + 1,
        key,
        parent: entry,
      };
      if (!key.isWellFormed()) {
        return { kind: 'ill_formed_text', field: fieldOf(child) };
      }
      stack.push(child);
    }
  }
  return undefined;
}
