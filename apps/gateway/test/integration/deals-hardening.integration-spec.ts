import { createHash, randomUUID } from 'node:crypto';
import { propertyBody } from '@keyhouse/testing';
import { rm } from 'node:fs/promises';
import { createTransaction, createPlan, dealsOrg, download, uploadFile, type DealsOrg } from '../support/deals.fixture';
import { waitForUsersInCrm } from '../support/crm.fixture';
import { registerOrganization, type Session } from '../support/identity.fixture';
import { createCrmContact } from '../support/listings.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

const FILE_DIR = `tmp/deal-files-hardening-test-${process.pid}`;

type Problem = { code: string; errors?: Array<{ field: string; message: string }> };
type Deal = { id: string; commissionPlanId: string | null; propertyId: string | null; buyerContactIds: string[] };

/**
 * Issue 13, deals items, through the gateway with the real identity, crm and listings: who may
 * choose a deal's commission plan and ask what-if for which plan (item 4); 404 for agents out of
 * reach on `/v1/agents/:agentId/transactions`; property and contact ids of a new or changed deal
 * checked with their owners; a signed, expiring URL for files on the local disk (item 13).
 * Every route also shows another organization and an agent who does not own the record refused.
 */
describe('deals hardening (issue 13, through the gateway)', () => {
  let stack: TestStack;
  let org: DealsOrg;
  let rival: Session;
  let standard: string;
  let hundred: string;

  beforeAll(async () => {
    stack = await startStack({ DEALS_COMMISSION_FILE_DIR: FILE_DIR }, { services: ['crm', 'listings', 'deals-commission'] });
    org = await dealsOrg(stack.http, 'Harbor Homes');
    rival = await registerOrganization(stack.http, 'Rival Realty');
    standard = await createPlan(stack.http, org.owner, { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000 });
    hundred = await createPlan(stack.http, org.owner, { name: 'All to the agent', grossRateBps: 300, agentSplitBps: 10_000 });
    const assigned = await stack.http.patch(
      `/v1/agents/${org.agent1.userId}/commission-plan`,
      { planId: standard },
      { token: org.owner.accessToken },
    );
    expect(assigned.status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(FILE_DIR, { recursive: true, force: true });
  });

  describe('commission plan of a deal (item 4)', () => {
    it('refuses an agent choosing or changing the plan (403); a manager and an admin may; others’ deals are 404', async () => {
      const chosen = await stack.http.post<Problem>(
        '/v1/transactions',
        { side: 'buy', price: 50_000_000, commissionPlanId: hundred },
        { token: org.agent1.accessToken },
      );
      expect(chosen.status).toBe(403);
      expect(chosen.body.code).toBe('COMMISSION_PLAN_CHOICE_FORBIDDEN');

      const deal = await createTransaction(stack.http, org.agent1, {});
      const changed = await stack.http.patch<Problem>(
        `/v1/transactions/${deal.id}`,
        { commissionPlanId: hundred },
        { token: org.agent1.accessToken },
      );
      expect(changed.status).toBe(403);
      expect(changed.body.code).toBe('COMMISSION_PLAN_CHOICE_FORBIDDEN');
      // Sending the plan the deal already has (a whole object echoed back) changes nothing and is accepted.
      const echoed = await stack.http.patch<Deal>(
        `/v1/transactions/${deal.id}`,
        { commissionPlanId: null, notes: 'first showing' },
        { token: org.agent1.accessToken },
      );
      expect(echoed.status).toBe(200);
      expect(echoed.body.commissionPlanId).toBeNull();

      const byManager = await stack.http.patch<Deal>(
        `/v1/transactions/${deal.id}`,
        { commissionPlanId: hundred },
        { token: org.manager.accessToken },
      );
      expect(byManager.status).toBe(200);
      expect(byManager.body.commissionPlanId).toBe(hundred);
      const byAdmin = await stack.http.patch<Deal>(
        `/v1/transactions/${deal.id}`,
        { commissionPlanId: standard },
        { token: org.owner.accessToken },
      );
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body.commissionPlanId).toBe(standard);
      const created = await stack.http.post<Deal>(
        '/v1/transactions',
        { side: 'buy', price: 50_000_000, agentId: org.agent1.userId, commissionPlanId: hundred },
        { token: org.manager.accessToken },
      );
      expect(created.status).toBe(201);
      expect(created.body.commissionPlanId).toBe(hundred);

      for (const session of [rival, org.agent2]) {
        const refused = await stack.http.patch<Problem>(
          `/v1/transactions/${deal.id}`,
          { commissionPlanId: hundred },
          { token: session.accessToken },
        );
        expect(refused.status).toBe(404);
        expect(refused.body.code).toBe('TRANSACTION_NOT_FOUND');
      }
      const after = await stack.http.get<Deal>(`/v1/transactions/${deal.id}`, { token: org.agent1.accessToken });
      expect(after.body.commissionPlanId).toBe(standard);
    });

    it('answers what-if only for plans the caller may read (agents: their own plan; other organizations: none)', async () => {
      const whatIf = (session: Session, body: Record<string, unknown>) =>
        stack.http.post<Problem & { planId: string | null; gross: number }>(
          '/v1/commission-plans/what-if',
          { price: 10_000_000, closeDate: '2025-06-01', ...body },
          { token: session.accessToken },
        );
      const notTheirs = await whatIf(org.agent1, { planId: hundred });
      expect(notTheirs.status).toBe(404);
      expect(notTheirs.body.code).toBe('COMMISSION_PLAN_NOT_FOUND');
      const own = await whatIf(org.agent1, { planId: standard });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ planId: standard, gross: 300_000 });
      expect((await whatIf(org.agent1, {})).body).toMatchObject({ planId: standard });
      // agent2 has no plan assigned: the organization's plans are not theirs to read.
      const agent2 = await whatIf(org.agent2, { planId: standard });
      expect(agent2.status).toBe(404);
      expect(agent2.body.code).toBe('COMMISSION_PLAN_NOT_FOUND');
      const otherOrg = await whatIf(rival, { planId: standard });
      expect(otherOrg.status).toBe(404);
      expect(otherOrg.body.code).toBe('COMMISSION_PLAN_NOT_FOUND');
      expect((await whatIf(org.manager, { planId: hundred, agentId: org.agent1.userId })).status).toBe(200);
      expect((await whatIf(org.owner, { planId: hundred, agentId: org.agent2.userId })).status).toBe(200);
    });
  });

  describe('GET /v1/agents/:agentId/transactions (item 13)', () => {
    it('is 404 AGENT_NOT_FOUND for a random id, another organization’s user and an agent out of the caller’s reach', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {});
      const list = (session: Session, agentId: string) =>
        stack.http.get<Problem & { items: Array<{ id: string }> }>(`/v1/agents/${agentId}/transactions`, { token: session.accessToken });

      for (const [session, agentId] of [
        [org.owner, randomUUID()],
        [org.owner, rival.userId],
        [rival, org.agent1.userId],
        [org.agent2, org.agent1.userId],
        [org.agent1, org.agent2.userId],
        [org.manager, org.agent2.userId],
      ] as const) {
        const refused = await list(session, agentId);
        expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 404, code: 'AGENT_NOT_FOUND' });
      }
      for (const session of [org.agent1, org.manager, org.owner]) {
        const found = await list(session, org.agent1.userId);
        expect(found.status).toBe(200);
        expect(found.body.items.map((item) => item.id)).toContain(deal.id);
      }
      const empty = await list(org.owner, org.agent2.userId);
      expect(empty.status).toBe(200);
    });
  });

  describe('property and contact ids of a deal (item 13)', () => {
    let ownProperty: string;
    let rivalProperty: string;
    let ownContact: string;
    let colleagueContact: string;
    let rivalContact: string;

    beforeAll(async () => {
      // The manager reaches the contacts of their team's agents through crm's read model of identity's users.
      await waitForUsersInCrm(stack, [{ userId: org.agent1.userId, teamIds: [org.teamId] }, { userId: org.agent2.userId }]);
      const property = async (session: Session) => {
        const response = await stack.http.post<{ id: string }>('/v1/properties', propertyBody(), { token: session.accessToken });
        expect(response.status).toBe(201);
        return response.body.id;
      };
      ownProperty = await property(org.owner);
      rivalProperty = await property(rival);
      ownContact = await createCrmContact(stack, org.agent1.accessToken, 'Bea');
      colleagueContact = await createCrmContact(stack, org.agent2.accessToken, 'Cole');
      rivalContact = await createCrmContact(stack, rival.accessToken, 'Rita');
    });

    const create = (session: Session, body: Record<string, unknown>) =>
      stack.http.post<Problem & Deal>('/v1/transactions', { side: 'buy', price: 50_000_000, ...body }, { token: session.accessToken });

    it('creates a deal with a property of the organization and contacts the agent can see', async () => {
      const created = await create(org.agent1, {
        propertyId: ownProperty,
        buyerContactIds: [ownContact],
        participants: [{ side: 'buy', role: 'other', contactId: ownContact, name: 'Bea' }],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ propertyId: ownProperty, buyerContactIds: [ownContact] });
    });

    it.each([
      ['another organization’s property', () => ({ propertyId: rivalProperty }), 'propertyId', 'PROPERTY_NOT_FOUND'],
      ['a random property id', () => ({ propertyId: randomUUID() }), 'propertyId', 'PROPERTY_NOT_FOUND'],
      [
        'another organization’s contact',
        () => ({ buyerContactIds: [ownContact, rivalContact] }),
        'buyerContactIds[1]',
        'CONTACT_NOT_FOUND',
      ],
      ['a contact of another agent', () => ({ sellerContactIds: [colleagueContact] }), 'sellerContactIds[0]', 'CONTACT_NOT_FOUND'],
      [
        'a participant linked to a contact the agent cannot see',
        () => ({ participants: [{ side: 'buy', role: 'other', contactId: rivalContact, name: 'Rita' }] }),
        'participants[0].contactId',
        'CONTACT_NOT_FOUND',
      ],
    ])('refuses on create %s (400 naming the field)', async (_label, body, field, code) => {
      const refused = await create(org.agent1, body());
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(code);
      expect(refused.body.errors?.map((error) => error.field)).toEqual([field]);
    });

    it('checks ids a change adds (400), and answers 404 to another organization and an agent not on the deal', async () => {
      const deal = await createTransaction(stack.http, org.agent1, { propertyId: ownProperty, buyerContactIds: [ownContact] });
      const patch = (session: Session, body: Record<string, unknown>) =>
        stack.http.patch<Problem & Deal>(`/v1/transactions/${deal.id}`, body, { token: session.accessToken });

      const foreignProperty = await patch(org.agent1, { propertyId: rivalProperty });
      expect(foreignProperty.status).toBe(400);
      expect(foreignProperty.body.code).toBe('PROPERTY_NOT_FOUND');
      expect(foreignProperty.body.errors?.map((error) => error.field)).toEqual(['propertyId']);
      const hiddenContact = await patch(org.agent1, { buyerContactIds: [ownContact, colleagueContact] });
      expect(hiddenContact.status).toBe(400);
      expect(hiddenContact.body.code).toBe('CONTACT_NOT_FOUND');
      expect(hiddenContact.body.errors?.map((error) => error.field)).toEqual(['buyerContactIds[1]']);
      // The manager of the agent's team sees the agent's contacts; the admin sees the organization's.
      const byManager = await patch(org.manager, { sellerContactIds: [ownContact] });
      expect(byManager.status).toBe(200);
      const byAdmin = await patch(org.owner, { buyerContactIds: [ownContact, colleagueContact] });
      expect(byAdmin.status).toBe(200);
      // Ids already on the deal are not asked again.
      expect((await patch(org.agent1, { buyerContactIds: [ownContact, colleagueContact], notes: 'kept' })).status).toBe(200);

      for (const session of [rival, org.agent2]) {
        const refused = await patch(session, { propertyId: ownProperty });
        expect(refused.status).toBe(404);
        expect(refused.body.code).toBe('TRANSACTION_NOT_FOUND');
      }
      const after = await stack.http.get<Deal>(`/v1/transactions/${deal.id}`, { token: org.owner.accessToken });
      expect(after.body).toMatchObject({ propertyId: ownProperty, buyerContactIds: [ownContact, colleagueContact] });
    });
  });

  describe('GET /v1/transactions/:id/files/:fileId/download-url with the local disk (item 13)', () => {
    const pdf = (size: number) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 17 + 3) % 251;
      Buffer.from('%PDF-1.7\n').copy(bytes);
      return bytes;
    };

    it('answers the owner a signed, expiring gateway URL that downloads the file without a token; a changed URL is refused', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {});
      const bytes = pdf(600 * 1024);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const uploaded = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, org.agent1.accessToken, {
        name: 'Inspection report.pdf',
        type: 'application/pdf',
        bytes,
      });
      expect(uploaded.status).toBe(201);
      const fileId = uploaded.body.id as string;
      const path = `/v1/transactions/${deal.id}/files/${fileId}/download-url`;

      const signed = await stack.http.get<{ url: string; expiresAt: string }>(path, { token: org.agent1.accessToken });
      expect(signed.status).toBe(200);
      expect(signed.body.url.startsWith(`${stack.http.baseUrl}/v1/`)).toBe(true);
      const expiresIn = Date.parse(signed.body.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(0);
      expect(expiresIn).toBeLessThanOrEqual(300_000);

      const fetched = await fetch(signed.body.url);
      expect(fetched.status).toBe(200);
      const got = Buffer.from(await fetched.arrayBuffer());
      expect(createHash('sha256').update(got).digest('hex')).toBe(sha256);
      expect(fetched.headers.get('content-type')).toBe('application/pdf');
      expect(fetched.headers.get('x-checksum-sha256')).toBe(sha256);
      expect(fetched.headers.get('content-disposition')).toBe(
        `attachment; filename*=UTF-8''${encodeURIComponent('Inspection report.pdf')}`,
      );

      const url = new URL(signed.body.url);
      const signature = url.searchParams.get('signature')!;
      const tampered = [
        (copy: URL) => copy.searchParams.set('signature', `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`),
        (copy: URL) => copy.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600)),
        (copy: URL) => copy.searchParams.delete('signature'),
      ];
      for (const change of tampered) {
        const copy = new URL(url);
        change(copy);
        const refused = await fetch(copy);
        expect(refused.status).toBe(copy.searchParams.has('signature') ? 403 : 400);
        if (refused.status === 403) expect(((await refused.json()) as Problem).code).toBe('FILE_DOWNLOAD_URL_INVALID');
      }
      // The signature covers the file: another file of the same deal does not open with it.
      const other = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, org.agent1.accessToken, {
        name: 'other.pdf',
        type: 'application/pdf',
        bytes: pdf(1024),
      });
      const swapped = new URL(url.toString().replace(fileId, other.body.id as string));
      expect((await fetch(swapped)).status).toBe(403);

      for (const session of [rival, org.agent2]) {
        const refused = await stack.http.get<Problem>(path, { token: session.accessToken });
        expect(refused.status).toBe(404);
        expect(refused.body.code).toBe('TRANSACTION_NOT_FOUND');
      }
      // A deleted file no longer downloads, even with a URL signed before.
      expect((await stack.http.delete(`/v1/transactions/${deal.id}/files/${fileId}`, { token: org.agent1.accessToken })).status).toBe(204);
      const gone = await fetch(signed.body.url);
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as Problem).code).toBe('FILE_NOT_FOUND');
      expect((await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, org.agent1.accessToken)).status).toBe(404);
    });
  });
});
