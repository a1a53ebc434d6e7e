import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError, RpcRequestSchemas } from '@keyhouse/contracts';

/** Checks one request `data`: `null` when it is valid, else its field errors (never empty). */
export type RpcRequestCheck = (data: unknown) => FieldError[] | null;

const CATALOGUE_ID = 'keyhouse:rpc-requests';

/** One Ajv per process and catalogue: the services a test boots in one process share the compiled validators. */
let shared: { catalogue: RpcRequestSchemas; ajv: Ajv } | null = null;

function ajvFor(catalogue: RpcRequestSchemas): Ajv {
  if (shared?.catalogue !== catalogue) {
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
    addFormats(ajv);
    // Generated and tested (rpc-server.service.spec.ts compiles every subject): not meta-validated at each start.
    ajv.addSchema({ $id: CATALOGUE_ID, definitions: catalogue.definitions, $defs: catalogue.subjects }, undefined, undefined, false);
    shared = { catalogue, ajv };
  }
  return shared.ajv;
}

/**
 * The request checks of the subjects a process answers: each subject's schema is `own[subject]`
 * (a schema given on its `@RpcHandler`, compiled now) or else `catalogue.subjects[subject]`
 * (generated from the contracts; compiled by its first request, once per process, ~1-10 ms).
 *
 * @throws Error at start-up naming every subject that has no schema (a contract outside
 *   libs/contracts/src/rpc without a schema of its own, or a stale generated file: run
 *   `npm run docs:api`), or when an own schema is invalid.
 */
export function compileRequestChecks(
  subjects: readonly string[],
  catalogue: RpcRequestSchemas,
  own: ReadonlyMap<string, object> = new Map(),
): Map<string, RpcRequestCheck> {
  const missing = subjects.filter((subject) => !own.has(subject) && !Object.hasOwn(catalogue.subjects, subject));
  if (missing.length > 0) {
    throw new Error(
      `No request schema for NATS subject${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: declare the contract with defineRpc in libs/contracts/src/rpc and run \`npm run docs:api\`, or give @RpcHandler a requestSchema`,
    );
  }
  const ajv = ajvFor(catalogue);
  const checks = new Map<string, RpcRequestCheck>();
  for (const subject of subjects) {
    const schema = own.get(subject);
    if (schema) {
      checks.set(subject, checkOf(ajv.compile(schema)));
      continue;
    }
    let check: RpcRequestCheck | undefined;
    checks.set(subject, (data) => {
      if (!check) {
        const validate = ajv.getSchema(`${CATALOGUE_ID}#/$defs/${pointerSegment(subject)}`);
        if (!validate) throw new Error(`The request schema of ${subject} did not compile`);
        check = checkOf(validate);
      }
      return check(data);
    });
  }
  return checks;
}

function checkOf(validate: ValidateFunction): RpcRequestCheck {
  return (data) => (validate(data) ? null : requestFieldErrors(validate.errors ?? [], data));
}

function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Ajv errors as the gateway names invalid fields (`fieldErrors` of its validation pipe): `field` a
 * dotted path with array indexes in brackets (`agent.capacity`, `items[2].id`, `''` for the whole
 * payload), `message` short (`must be string`, `is required`, `is not an accepted field`), `code`
 * the failed JSON Schema keyword. Of a union (`X | null`) that failed inside a member, the member's
 * errors are kept (`referrer.type is required`), not the union's; one entry per field and message.
 *
 * @param errors `validate.errors` of an Ajv validator compiled with `allErrors`, in Ajv's order.
 * @param data the payload that failed (tells array indexes from object keys).
 */
export function requestFieldErrors(errors: readonly ErrorObject[], data: unknown): FieldError[] {
  const dropped = new Set<number>();
  const unionTypes = new Map<number, string[]>();
  errors.forEach((union, i) => {
    if (union.keyword !== 'anyOf' && union.keyword !== 'oneOf') return;
    // Ajv reports a union's member errors right before the union's own error, at or below its path.
    const members: number[] = [];
    for (let j = i - 1; j >= 0 && within(errors[j].instancePath, union.instancePath); j--) if (!dropped.has(j)) members.push(j);
    const ownLevelTypes = members.filter((j) => errors[j].instancePath === union.instancePath && errors[j].keyword === 'type');
    ownLevelTypes.forEach((j) => dropped.add(j));
    if (members.length > ownLevelTypes.length) dropped.add(i);
    else
      unionTypes.set(
        i,
        ownLevelTypes.reverse().flatMap((j) => typesOf(errors[j])),
      );
  });
  const result: FieldError[] = [];
  const seen = new Set<string>();
  errors.forEach((error, i) => {
    if (dropped.has(i)) return;
    const entry = fieldErrorOf(error, data, unionTypes.get(i));
    const key = `${entry.field}\u0000${entry.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    result.push(entry);
  });
  return result;
}

function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function typesOf(error: ErrorObject): string[] {
  return ([] as unknown[]).concat((error.params as { type: unknown }).type).map(String);
}

function fieldErrorOf(error: ErrorObject, data: unknown, unionTypes: string[] | undefined): FieldError {
  const segments = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescapeSegment);
  const params = error.params as Record<string, unknown>;
  const at = (message: string, extra?: string): FieldError => ({
    field: fieldPath(extra === undefined ? segments : [...segments, extra], data),
    message,
    code: error.keyword,
  });
  switch (error.keyword) {
    case 'required':
      return at('is required', String(params.missingProperty));
    case 'additionalProperties':
      return at('is not an accepted field', String(params.additionalProperty));
    case 'type':
      return at(`must be ${typesOf(error).join(' or ')}`);
    case 'enum':
      return at(`must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`);
    case 'anyOf':
    case 'oneOf':
      return at(unionTypes?.length ? `must be ${[...new Set(unionTypes)].join(' or ')}` : 'must match one of the allowed shapes');
    default:
      return at(error.message ?? 'is invalid');
  }
}

function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** `['items', '2', 'id']` → `items[2].id`, telling array indexes from object keys by the data. */
function fieldPath(segments: readonly string[], data: unknown): string {
  let path = '';
  let node: unknown = data;
  for (const segment of segments) {
    path = Array.isArray(node) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return path;
}
