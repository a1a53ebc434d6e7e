import type { FastifyInstance } from 'fastify';
import type { FieldError } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';

/**
 * How deep a JSON body may nest: an object or array inside another counts one level, the body
 * itself is level 1. The deepest request the API defines (a smart list's filter inside a list of
 * rules inside the body) is 4 levels; 32 leaves room without letting a 5,000-level body reach the
 * validation pipe, whose recursion it would overflow.
 */
export const MAX_JSON_DEPTH = 32;

/** Where a value came from, which names the field in the problem's `errors[]`. */
export type InputPart = 'body' | 'query' | 'params';

/**
 * Finds the values a request must not carry, at any depth of `value`, without recursion (so that
 * the walk itself cannot overflow the stack):
 * - nesting deeper than `maxDepth` (`code: 'maxDepth'`, reported once, at the first path too deep);
 * - a string — a value or an object key — with a NUL character (`code: 'nulCharacter'`): Postgres
 *   `text` cannot store U+0000 and refuses the whole statement;
 * - a string with an unpaired UTF-16 surrogate (`code: 'unpairedSurrogate'`): not a Unicode
 *   scalar value, so it has no UTF-8 encoding and Postgres refuses it too (RFC 8259 §8.2).
 *
 * Field names follow the validation pipe's style: `a.b[0].c` inside the body, the parameter's
 * name for a query string or path parameter (`prefix` empty), or `query.q` when asked.
 * Returns at most `limit` errors.
 */
export function inputProblems(value: unknown, prefix = '', maxDepth = MAX_JSON_DEPTH, limit = 20): FieldError[] {
  const problems: FieldError[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: prefix, depth: 0 }];
  let tooDeep = false;
  while (stack.length > 0 && problems.length < limit) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const problem = stringProblem(item.value);
      if (problem) problems.push({ field: item.path || 'value', ...problem });
      continue;
    }
    if (item.value === null || typeof item.value !== 'object' || !isJsonContainer(item.value)) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) {
      if (!tooDeep) problems.push({ field: item.path || 'value', code: 'maxDepth', message: `nests deeper than ${maxDepth} levels` });
      tooDeep = true;
      continue;
    }
    if (Array.isArray(item.value)) {
      for (let index = item.value.length - 1; index >= 0; index--) {
        stack.push({ value: item.value[index], path: `${item.path}[${index}]`, depth });
      }
      continue;
    }
    const entries = Object.entries(item.value as Record<string, unknown>);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index];
      const keyProblem = stringProblem(key);
      const path = item.path ? `${item.path}.${printable(key)}` : printable(key);
      if (keyProblem) {
        problems.push({ field: path, code: keyProblem.code, message: `name ${keyProblem.message}` });
        continue;
      }
      stack.push({ value: child, path, depth });
    }
  }
  return problems.slice(0, limit);
}

/**
 * Arrays and plain objects: parsed JSON (`Object.prototype`) and parsed query strings and path
 * parameters (Fastify's prototype-less `Object.create(null)` descendants); not buffers, streams
 * or the files of an upload, whose prototype chains are longer.
 */
function isJsonContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

function stringProblem(text: string): { code: string; message: string } | null {
  if (text.includes('\u0000')) return { code: 'nulCharacter', message: 'contains a NUL character (U+0000)' };
  if (LONE_SURROGATE.test(text)) return { code: 'unpairedSurrogate', message: 'contains an unpaired UTF-16 surrogate (not valid Unicode)' };
  return null;
}

/** A key as it can be shown in `errors[].field`: NULs and lone surrogates replaced by U+FFFD. */
function printable(key: string): string {
  return key.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');
}

/**
 * Refuses, before any guard, pipe or service sees them, request bodies, query strings and path
 * parameters that `inputProblems` finds fault with: a 400 `VALIDATION_FAILED` problem naming each
 * field (`errors[]`). Runs as Fastify's `preValidation` hook, after the body is parsed and before
 * Nest's route handling (issue 13, "Input hygiene").
 */
export function registerInputHygiene(fastify: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const { params, query, body } = request;
    // the common read (no parameters, no query string, no body) costs three checks and nothing more
    if (isEmpty(params) && isEmpty(query) && isEmpty(body)) {
      done();
      return;
    }
    const problems = [
      ...inputProblems(params, '', maxDepth),
      ...inputProblems(query, '', maxDepth),
      ...(typeof body === 'object' || typeof body === 'string' ? inputProblems(body, '', maxDepth) : []),
    ];
    done(problems.length > 0 ? DomainException.validation(problems) : undefined);
  });
}

/** Absent, or an object without keys (Fastify's empty params and query). */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  for (const key in value) return key === undefined; // the first enumerable key: not empty
  return true;
}
