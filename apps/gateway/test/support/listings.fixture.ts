import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { TestStack } from './stack.fixture';

export type Problem = { code: string; status: number; errors?: Array<{ field: string; message: string }> };
export type Page<T> = { items: T[]; nextCursor: string | null };

export interface Property {
  id: string;
  orgId: string;
  listingKey: string;
  standardStatus: string;
  propertyType: string;
  listPrice: number | null;
  closePrice: number | null;
  closeDate: string | null;
  city: string | null;
  postalCode: string | null;
  latitude: number | null;
  longitude: number | null;
  bedroomsTotal: number | null;
  bathroomsTotalInteger: number | null;
  livingArea: number | null;
  listAgentId: string | null;
  origin: string;
  media: Array<{ url: string; order: number; caption: string | null }>;
  modificationTimestamp: string;
  distanceMeters?: number;
  attributes: Record<string, unknown>;
}

/** Waits (polling every 100 ms) until `condition` holds; throws after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A crm contact created by `token`'s user (an agent becomes its owner); needs the crm service in the stack. */
export async function createCrmContact(stack: TestStack, token: string, label: string): Promise<string> {
  const response = await stack.http.post<{ id: string }>(
    '/v1/contacts',
    {
      firstName: label,
      lastName: `Buyer ${randomBytes(3).toString('hex')}`,
      email: `${label.toLowerCase()}-${randomBytes(4).toString('hex')}@example.test`,
    },
    { token },
  );
  if (response.status !== 201) throw new Error(`create contact failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/**
 * A self-registered portal client (crm finds or creates the contact, identity the user) and the
 * listings read model of its contact applied (`client_contact`, from identity.user.created).
 */
export async function registerPortalClient(
  stack: TestStack,
  formKey: string,
  label: string,
): Promise<{ accessToken: string; userId: string; contactId: string }> {
  const email = `${label.toLowerCase()}-${randomBytes(4).toString('hex')}@example.test`;
  const password = 'a long client password 42';
  const registered = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
    formKey,
    name: `${label} Client`,
    email,
    password,
  });
  if (registered.status !== 201) throw new Error(`client registration failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await stack.http.post<{ accessToken: string }>('/v1/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`client login failed: ${login.status}`);
  const db = new Client({ connectionString: stack.env.LISTINGS_DATABASE_URL });
  await db.connect();
  try {
    await until(
      async () => (await db.query('SELECT 1 FROM listings.client_contact WHERE user_id = $1', [registered.body.userId])).rowCount === 1,
    );
  } finally {
    await db.end();
  }
  return { accessToken: login.body.accessToken, userId: registered.body.userId, contactId: registered.body.contactId };
}
