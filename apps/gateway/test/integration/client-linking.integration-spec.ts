import type { Page } from '@keyhouse/contracts';
import { createContact, eventually, uniquePhone, waitForUsersInCrm, type ContactJson, type ProblemJson } from '../support/crm.fixture';
import { createUser, login, mailSecrets, PASSWORD, registerOrganization, uniqueEmail, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

interface TimelineJson {
  id: string;
  kind: string;
  data: Record<string, unknown>;
}

/**
 * Issue 13 items 2, 6, 12 and 13 through the gateway: a client user sees an existing contact only
 * after proving the address; the public forms tell nobody who is a contact or has an account; the
 * details a public submission proposes for an existing contact wait for an agent's acceptance;
 * clients keep no smart lists.
 */
describe('client linking and public intake (issue 13)', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let agent: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    owner = await registerOrganization(stack.http, 'Linking Realty');
    agent = await createUser(stack.http, owner, 'agent');
    await waitForUsersInCrm(stack, [{ userId: agent.userId }]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const contactsOf = async (token: string) =>
    (await stack.http.get<Page<ContactJson>>('/v1/contacts', { token })).body.items.map((c) => c.id);

  it('item 2: a self-registered client sees an existing contact only after verifying the email address', async () => {
    const email = uniqueEmail('victim');
    const phone = uniquePhone();
    const contact = await createContact(stack.http, agent.accessToken, { firstName: 'Vera', lastName: 'Victim', email, phone });
    const registered = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
      formKey: owner.publicFormKey,
      name: 'Not Vera',
      email,
      password: PASSWORD,
      phone: '+12065550199',
    });
    expect(registered.status).toBe(201);
    const stranger = await login(stack.http, email);
    // The user is known to the crm (identity.user.created consumed): no link came with it.
    await waitForUsersInCrm(stack, [{ userId: stranger.userId }]);
    expect(await contactsOf(stranger.accessToken)).toEqual([]);
    const read = await stack.http.get<ProblemJson>(`/v1/contacts/${contact.id}`, { token: stranger.accessToken });
    expect([read.status, read.body.code]).toEqual([404, 'CONTACT_NOT_FOUND']);
    // The registration's phone did not reach the contact.
    expect((await stack.http.get<ContactJson>(`/v1/contacts/${contact.id}`, { token: agent.accessToken })).body.phones).toEqual([phone]);

    // The owner of the address verifies it: now they are that contact.
    const verification = await mailSecrets(stack.env, email, 'email_verification');
    expect((await stack.http.post('/v1/auth/email/verify', { token: verification.token })).status).toBe(204);
    const seen = await eventually(
      () => contactsOf(stranger.accessToken),
      (ids) => ids.length > 0,
    );
    expect(seen).toEqual([contact.id]);
  });

  it('item 12: registering a taken address answers like a new one and emails the account’s owner', async () => {
    const email = uniqueEmail('taken');
    const fresh = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
      formKey: owner.publicFormKey,
      name: 'First Person',
      email,
      password: PASSWORD,
    });
    expect(fresh.status).toBe(201);
    const again = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
      formKey: owner.publicFormKey,
      name: 'Second Person',
      email,
      password: 'another long password 77',
    });
    expect(again.status).toBe(201);
    expect(Object.keys(again.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(again.body.userId).not.toBe(fresh.body.userId);
    expect(again.body.contactId).not.toBe(fresh.body.contactId);
    const mail = await stack.http.get<Page<{ template: string; variables: Record<string, unknown> }>>(
      `/v1/local-mailbox?to=${encodeURIComponent(email)}`,
      { token: owner.accessToken },
    );
    const notices = mail.body.items.filter((item) => item.template === 'security_notice');
    expect(notices.map((item) => item.variables.reason)).toContain('registration_attempt');
    // The first password still signs in; the second opens nothing.
    expect((await stack.http.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    expect((await stack.http.post('/v1/auth/login', { email, password: 'another long password 77' })).status).toBe(401);
  });

  it('item 6: the public form answers the same for new and existing people; proposed details apply only when an agent accepts them', async () => {
    const email = uniqueEmail('known');
    const phone = uniquePhone();
    const known = await createContact(stack.http, agent.accessToken, { firstName: 'Kim', lastName: 'Known', email, phone });
    const newcomer = await stack.http.post<Record<string, unknown>>('/v1/public/leads', {
      formKey: owner.publicFormKey,
      firstName: 'Nina',
      email: uniqueEmail('new'),
    });
    const submitted = await stack.http.post<Record<string, unknown>>('/v1/public/leads', {
      formKey: owner.publicFormKey,
      firstName: 'Kim',
      email,
      phone: '+12065550188',
      postalCode: '98101',
      message: 'Call me',
    });
    expect([newcomer.status, submitted.status]).toEqual([201, 201]);
    expect(Object.keys(submitted.body)).toEqual(Object.keys(newcomer.body));
    expect(Object.keys(submitted.body)).toEqual(['submissionId']);
    expect(JSON.stringify(submitted.body)).not.toContain(known.id);

    const unchanged = (await stack.http.get<ContactJson & { address: unknown }>(`/v1/contacts/${known.id}`, { token: agent.accessToken }))
      .body;
    expect(unchanged.phones).toEqual([phone]);
    const timeline = await stack.http.get<Page<TimelineJson>>(`/v1/contacts/${known.id}/timeline`, { token: agent.accessToken });
    const entry = timeline.body.items.find((item) => item.kind === 'form.submitted')!;
    expect(entry.data).toMatchObject({ message: 'Call me', proposed: { phone: '+12065550188', postalCode: '98101' } });

    const path = `/v1/contacts/${known.id}/proposed-details/${entry.id}/accept`;
    const client = await createUser(stack.http, owner, 'client');
    expect((await stack.http.post(path, {}, { token: client.accessToken })).status).toBe(403);
    const accepted = await stack.http.post<ContactJson>(path, {}, { token: agent.accessToken });
    expect(accepted.status).toBe(200);
    expect(accepted.body.phones).toEqual([phone, '+12065550188']);
    const twice = await stack.http.post<ProblemJson>(path, {}, { token: agent.accessToken });
    expect([twice.status, twice.body.code]).toEqual([409, 'PROPOSED_DETAILS_ALREADY_ACCEPTED']);
    const unknown = await stack.http.post<ProblemJson>(
      `/v1/contacts/${known.id}/proposed-details/${known.id}/accept`,
      {},
      { token: agent.accessToken },
    );
    expect([unknown.status, unknown.body.code]).toEqual([404, 'PROPOSED_DETAILS_NOT_FOUND']);
    const after = await stack.http.get<Page<TimelineJson>>(`/v1/contacts/${known.id}/timeline`, { token: agent.accessToken });
    expect(after.body.items.map((item) => item.kind)).toContain('contact.proposed_details_accepted');
  });

  it('item 13: a client user cannot create a smart list (403)', async () => {
    const client = await createUser(stack.http, owner, 'client');
    const response = await stack.http.post<ProblemJson>('/v1/smart-lists', { name: 'Mine', filters: {} }, { token: client.accessToken });
    expect([response.status, response.body.code]).toEqual([403, 'FORBIDDEN']);
  });
});
