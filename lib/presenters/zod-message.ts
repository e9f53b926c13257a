// A zod validation error as one sentence naming each field (API.md "Errors": the message names the
// field), e.g. "tranamt: must be …; unknown field: \"amount\"".
import type { $ZodError } from 'zod/v4/core';

/** "tranamt: must be …; queries[2].order_no: …" — every problem, naming the field. */
export function describeZodError(error: $ZodError, root?: string): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = fieldPath(issue.path, root);
      const keys = issue.keys.map((key) => (at ? `${at}.${key}` : key));
      return `unknown field${keys.length > 1 ? 's' : ''}: ${keys.map(quoteField).join(', ')}`;
    }
    const at = fieldPath(issue.path, root) || root || 'body';
    return `${at}: ${issueMessage(issue)}`;
  });
  if (error.issues.length > 5) parts.push(`and ${error.issues.length - 5} more`);
  return parts.join('; ');
}

function issueMessage(issue: $ZodError['issues'][number]): string {
  if (issue.code === 'invalid_type') {
    // zod reports what it received in its message (the input itself is not kept in issues).
    const received = /received (\w+)/.exec(issue.message)?.[1] ?? describeInput(issue.input);
    if (received === 'undefined' || received === 'missing') return 'is required';
    return `must be ${article(issue.expected)}, not ${received === 'null' ? 'null' : article(received)}`;
  }
  if (issue.code === 'too_big' && issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
  if (issue.code === 'too_small' && issue.origin === 'string') return `must be at least ${String(issue.minimum)} character(s)`;
  if (issue.code === 'too_big' && issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
  if (issue.code === 'too_small' && issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  return issue.message;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'missing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? 'an object' : `a ${typeof input}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function fieldPath(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

function quoteField(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}
