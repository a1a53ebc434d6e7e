import { randomBytes } from 'node:crypto';
import { IdentityOrganizationSubjects } from '@keyhouse/contracts';
import { loadConfig, platformEnv } from '@keyhouse/platform/config';
import { connectNats, RpcClient } from '@keyhouse/platform/messaging';
import type { TestHttpClient } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.test`;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  userId: string;
  orgId: string;
  email: string;
}

/** Registers a brokerage and returns its owner's session. */
export async function registerOrganization(http: TestHttpClient, name = 'Evergreen Realty'): Promise<Session & { publicFormKey: string }> {
  const email = uniqueEmail('owner');
  const response = await http.post<{
    accessToken: string;
    refreshToken: string;
    user: { id: string };
    organization: { id: string; publicFormKey: string };
  }>('/v1/auth/register', { organizationName: name, name: 'Dana Owner', email, password: PASSWORD });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    accessToken: response.body.accessToken,
    refreshToken: response.body.refreshToken,
    userId: response.body.user.id,
    orgId: response.body.organization.id,
    publicFormKey: response.body.organization.publicFormKey,
    email,
  };
}

export async function login(http: TestHttpClient, email: string, password = PASSWORD): Promise<Session> {
  const response = await http.post<{ accessToken: string; refreshToken: string }>('/v1/auth/login', { email, password });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
  const me = await http.get<{ id: string; orgId: string }>('/v1/users/me', { token: response.body.accessToken });
  return { ...response.body, userId: me.body.id, orgId: me.body.orgId, email };
}

/** Creates a user with a password in the owner's organization and logs them in. */
export async function createUser(
  http: TestHttpClient,
  owner: Session,
  role: string,
  extra: Record<string, unknown> = {},
): Promise<Session> {
  const email = uniqueEmail(role);
  const created = await http.post(
    '/v1/users',
    { email, name: `${role} ${email.slice(0, 8)}`, role, password: PASSWORD, ...extra },
    { token: owner.accessToken },
  );
  if (created.status !== 201) throw new Error(`create user failed: ${created.status} ${JSON.stringify(created.body)}`);
  return login(http, email);
}

/**
 * The secrets (`token`, `link`) of the newest `template` message to `to`, from identity's
 * development mail sink: the NATS subject `identity.local-mailbox.secrets`, which the gateway never
 * routes and identity answers only outside production (`IDENTITY_LOCAL_MAILBOX_SECRETS`).
 */
export async function mailSecrets(env: NodeJS.ProcessEnv, to: string, template: string): Promise<Record<string, string>> {
  const platform = loadConfig(platformEnv, env);
  const options = {
    serviceName: 'test-mail-sink',
    servers: platform.NATS_URL,
    subjectPrefix: platform.NATS_SUBJECT_PREFIX,
    requestTimeoutMs: platform.NATS_REQUEST_TIMEOUT_MS,
  };
  const connection = await connectNats(options);
  try {
    const reply = await new RpcClient(connection, options).request(IdentityOrganizationSubjects.localMailboxSecrets, {
      actor: null,
      requestId: newId(),
      data: { to, template },
    });
    if (reply.items.length === 0) throw new Error(`no ${template} mail to ${to}`);
    return reply.items[0].secrets;
  } finally {
    await connection.drain().catch(() => connection.close());
  }
}
