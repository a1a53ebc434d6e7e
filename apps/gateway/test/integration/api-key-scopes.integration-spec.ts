import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REQUIRED_PERMISSION } from '@keyhouse/platform/auth';
import { API_CONTROLLERS } from '../../src/app.module';
import { registerOrganization, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

/**
 * Issue 13 (Proof): every non-public operation of the OpenAPI document, called with an API key
 * that lacks its scope, answers 403 — an API key reaches only what its scopes grant, and never the
 * user-self operations (`@Authenticated()`, 403 `USER_SESSION_REQUIRED`).
 */

type Operation = { method: string; path: string; operationId: string; secured: boolean };

const DOCUMENT = JSON.parse(readFileSync(path.join(__dirname, '../../../../docs/api/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
};

/** The key's only scope. */
const KEY_SCOPE = 'listings:read:org';

/** `Controller_method` (Nest's operationId) → the permission the route requires, or null for `@Authenticated()`. */
function permissionsByOperationId(): Map<string, string | null> {
  const map = new Map<string, string | null>();
  for (const controller of API_CONTROLLERS) {
    const prototype = controller.prototype as unknown as Record<string, object>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (name === 'constructor') continue;
      const permission = (Reflect.getMetadata(REQUIRED_PERMISSION, prototype[name]) ??
        Reflect.getMetadata(REQUIRED_PERMISSION, controller) ??
        null) as string | null;
      map.set(`${controller.name}_${name}`, permission);
    }
  }
  return map;
}

/** Whether a key scoped `listings:read:org` satisfies `permission` (`resource:action[:scope]`). */
function keyGrants(permission: string | null): boolean {
  if (!permission) return false;
  const [resource, action] = permission.split(':');
  return resource === 'listings' && action === 'read';
}

describe('API keys reach only the operations their scopes grant (every operation of the OpenAPI document)', () => {
  let stack: TestStack;
  let owner: Session;
  let apiKey: string;
  const permissions = permissionsByOperationId();
  const operations: Operation[] = Object.entries(DOCUMENT.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path: route,
      operationId: operation.operationId,
      secured: Array.isArray(operation.security) && operation.security.length > 0,
    })),
  );

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'listings', 'deals-commission', 'audit'] });
    owner = await registerOrganization(stack.http, 'Key Scope Realty');
    const key = await stack.http.post<{ key: string }>(
      '/v1/api-keys',
      { name: 'Listings reader', scopes: [KEY_SCOPE] },
      { token: owner.accessToken },
    );
    expect(key.status).toBe(201);
    apiKey = key.body.key;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('knows the permission of every secured operation', () => {
    const secured = operations.filter((operation) => operation.secured);
    expect(secured.length).toBeGreaterThan(150);
    expect(secured.filter((operation) => !permissions.has(operation.operationId)).map((operation) => operation.operationId)).toEqual([]);
  });

  it('answers 403 to a key lacking the scope on every other secured operation, and lets the granted reads through', async () => {
    const wrong: string[] = [];
    let refused = 0;
    for (const operation of operations.filter((candidate) => candidate.secured)) {
      const url = `/v1${operation.path.replace(/\{[^}]+\}/g, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b').replace(/^\/v1/, '')}`;
      const response = await stack.http.request<{ code?: string }>(operation.method, url, {
        apiKey,
        ...(['POST', 'PUT', 'PATCH'].includes(operation.method) ? { json: {} } : {}),
      });
      const permission = permissions.get(operation.operationId) ?? null;
      if (keyGrants(permission)) {
        if (response.status === 403 || response.status === 401)
          wrong.push(`${operation.method} ${operation.path}: ${response.status} for a granted scope`);
        continue;
      }
      refused++;
      if (response.status !== 403)
        wrong.push(`${operation.method} ${operation.path} (${permission ?? '@Authenticated'}): ${response.status}`);
      else if (!permission && response.body.code !== 'USER_SESSION_REQUIRED')
        wrong.push(`${operation.method} ${operation.path}: ${response.body.code}`);
    }
    expect(wrong).toEqual([]);
    expect(refused).toBeGreaterThan(140);
  });
});
