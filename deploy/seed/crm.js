'use strict';
/**
 * CRM demo data through the public API: the brokerage's own lead source 'facebook' ('Facebook',
 * /v1/lead-sources, docs/adr/0032), assignment rules for the demo agents (each agent's ZIP
 * regions, a referral rotation, a pond for social leads), three companies, two organization tags
 * (first-time-buyer, relocation), a few dozen contacts
 * owned by ava@, ben@ and chloe@ (created with their own tokens, some linked to a company), notes,
 * tasks for the agents' new contacts, and a handful of public-form leads routed by the rules.
 * Safe to run again: the lead source is found by key, rules, companies and tags by name, contacts by email (tasks come with
 * a new contact only).
 */

const FIRST = ['Maya', 'Liam', 'Sofia', 'Noah', 'Ava', 'Ethan', 'Isla', 'Mateo', 'Zoe', 'Lucas', 'Nora', 'Kai'];
const LAST = ['Chen', 'Garcia', 'Patel', 'Nguyen', 'Johnson', 'Kim', 'Okafor', 'Silva', 'Larsen', 'Haddad', 'Reyes', 'Tanaka'];
/** Sources of the agents' contacts: defaults and the brokerage's own 'facebook'. */
const SOURCES = ['website', 'referral', 'zillow', 'open_house', 'sphere', 'realtor_com', 'facebook'];
const TYPES = ['buyer', 'seller', 'buyer', 'investor', 'renter'];
const STATUSES = ['new', 'contacted', 'qualified', 'nurturing', 'new', 'contacted'];

async function retry(action, attempts = 30) {
  for (let i = 0; ; i += 1) {
    const result = await action();
    if (result.status < 400 || i >= attempts) return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function seed({ api, login, demo }) {
  const ownerToken = await login(demo.owner.email);
  const agentsPage = await api('GET', '/v1/agents?limit=100', undefined, ownerToken);
  const agents = demo.agents
    .map((profile) => ({ ...profile, id: (agentsPage.body.items ?? []).find((item) => item.email === profile.email)?.userId }))
    .filter((agent) => agent.id);
  if (agents.length === 0) return 'no demo agents found; skipped';

  // The brokerage's Facebook ads are a lead source of its own (not one of the defaults), found by key.
  let leadSources = 0;
  const sources = await api('GET', '/v1/lead-sources?includeArchived=true', undefined, ownerToken);
  if (!(sources.body ?? []).some((source) => source.key === 'facebook')) {
    const created = await api('POST', '/v1/lead-sources', { key: 'facebook', label: 'Facebook' }, ownerToken);
    if (created.status !== 201) throw new Error(`lead source facebook: ${JSON.stringify(created.body)}`);
    leadSources += 1;
  }

  const existingRules = await api('GET', '/v1/assignment-rules', undefined, ownerToken);
  const ruleNames = new Set((existingRules.body ?? []).map((rule) => rule.name));
  let rules = 0;
  const addRule = async (body) => {
    if (ruleNames.has(body.name)) return;
    // The crm learns agents from identity's events; right after start it may not know them yet.
    const created = await retry(() => api('POST', '/v1/assignment-rules', body, ownerToken));
    if (created.status !== 201) throw new Error(`assignment rule ${body.name}: ${JSON.stringify(created.body)}`);
    rules += 1;
  };
  await addRule({
    name: 'Referrals rotate across the team',
    priority: 10,
    conditions: { sources: ['referral'] },
    strategy: 'round_robin',
    agentIds: agents.map((a) => a.id),
    responseDeadlineMinutes: 30,
  });
  let priority = 20;
  for (const agent of agents) {
    await addRule({
      name: `${agent.name}: ZIP ${agent.regions.join(', ')}`,
      priority: priority++,
      conditions: { postalCodes: agent.regions },
      strategy: 'agent',
      agentIds: [agent.id],
    });
  }
  const ponds = await api('GET', '/v1/ponds', undefined, ownerToken);
  let pond = (ponds.body ?? []).find((item) => item.name === 'Social media pond');
  if (!pond) pond = (await api('POST', '/v1/ponds', { name: 'Social media pond' }, ownerToken)).body;
  await addRule({ name: 'Social leads to the pond', priority: 50, conditions: { sources: ['social'] }, strategy: 'pond', pondId: pond.id });
  await addRule({
    name: 'Everything else: least loaded agent',
    priority: 100,
    strategy: 'load_balanced',
    agentIds: agents.map((a) => a.id),
  });

  // Companies (the CRM work tools' /v1/companies), found by name.
  const COMPANIES = [
    {
      name: 'Cascade Relocation Partners',
      industry: 'Relocation',
      size: '51-200',
      website: 'https://cascade-relocation.example',
      phones: ['(206) 555-0170'],
      address: { city: 'Seattle', state: 'WA', postalCode: '98101', country: 'US' },
    },
    {
      name: 'Evergreen Home Lending',
      industry: 'Mortgage lending',
      size: '11-50',
      website: 'https://evergreen-lending.example',
      phones: ['(425) 555-0171'],
      address: { city: 'Bellevue', state: 'WA', postalCode: '98004', country: 'US' },
    },
    {
      name: 'Puget Sound Builders',
      industry: 'Construction',
      size: '201-500',
      website: 'https://psbuilders.example',
      address: { city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
    },
  ];
  const companyIds = [];
  let companies = 0;
  for (const company of COMPANIES) {
    const found = await api('GET', `/v1/companies?q=${encodeURIComponent(company.name)}`, undefined, ownerToken);
    let id = (found.body?.items ?? []).find((item) => item.name === company.name)?.id;
    if (!id) {
      const created = await api('POST', '/v1/companies', company, ownerToken);
      if (created.status !== 201) throw new Error(`company ${company.name}: ${JSON.stringify(created.body)}`);
      id = created.body.id;
      companies += 1;
    }
    companyIds.push(id);
  }

  // Organization tags (colour-coded, /v1/tags) that the contacts below carry (docs/adr/0022), found by name.
  let tags = 0;
  for (const tag of [
    { name: 'first-time-buyer', colour: '#22c55e' },
    { name: 'relocation', colour: '#3b82f6' },
  ]) {
    const found = await api('GET', `/v1/tags?scope=org&q=${encodeURIComponent(tag.name)}`, undefined, ownerToken);
    if ((found.body?.items ?? []).some((item) => item.name.toLowerCase() === tag.name)) continue;
    const created = await api('POST', '/v1/tags', { ...tag, scope: 'org' }, ownerToken);
    if (created.status !== 201) throw new Error(`tag ${tag.name}: ${JSON.stringify(created.body)}`);
    tags += 1;
  }

  let contacts = 0;
  let tasks = 0;
  const nextWeekday = (days, hourUtc) => {
    const date = new Date(Date.now() + days * 86_400_000);
    date.setUTCHours(hourUtc, 0, 0, 0);
    return date.toISOString();
  };
  for (const [a, agent] of agents.entries()) {
    const token = await login(agent.email);
    for (let i = 0; i < 10; i += 1) {
      const n = a * 10 + i;
      const first = FIRST[n % FIRST.length];
      const last = LAST[(n * 5 + a) % LAST.length];
      const email = `${first}.${last}.${n}@demo-client.keyhouse.test`.toLowerCase();
      const found = await api('GET', `/v1/contacts?q=${encodeURIComponent(email)}`, undefined, token);
      if ((found.body?.items ?? []).length > 0) continue;
      const zip = agent.regions[i % agent.regions.length];
      const body = {
        firstName: first,
        lastName: last,
        email,
        phone: `+1206555${String(1000 + n).slice(-4)}`,
        type: TYPES[n % TYPES.length],
        status: STATUSES[n % STATUSES.length],
        source: SOURCES[n % SOURCES.length],
        tags: n % 3 === 0 ? ['first-time-buyer'] : n % 4 === 0 ? ['relocation'] : [],
        address: { city: 'Seattle', state: 'WA', postalCode: zip },
        preferences: {
          minPriceCents: (500_000 + n * 25_000) * 100,
          maxPriceCents: (750_000 + n * 25_000) * 100,
          postalCodes: [zip],
          minBeds: 2 + (n % 3),
          preApproved: n % 2 === 0,
        },
        consent: { email: { granted: true, source: 'agent' } },
        ...(i < 2 ? { companyId: companyIds[(a + i) % companyIds.length] } : {}),
        onDuplicate: 'create',
      };
      const created = await api('POST', '/v1/contacts', body, token);
      if (created.status !== 201) throw new Error(`contact ${email}: ${JSON.stringify(created.body)}`);
      contacts += 1;
      if (i % 3 === 0)
        await api(
          'POST',
          `/v1/contacts/${created.body.id}/notes`,
          { body: `Prefers ${2 + (n % 3)}+ bedrooms near ${zip}.`, pinned: i === 0 },
          token,
        );
      if (i < 4) {
        const types = ['call', 'email', 'showing', 'follow-up'];
        const task = await api(
          'POST',
          '/v1/tasks',
          {
            title: `${types[i] === 'showing' ? 'Showing with' : types[i] === 'email' ? 'Email listings to' : types[i] === 'call' ? 'Call' : 'Follow up with'} ${first} ${last}`,
            type: types[i],
            contactId: created.body.id,
            dueAt: nextWeekday(i + 1, 17 + i),
            priority: i === 0 ? 'high' : 'normal',
            reminders: [60],
          },
          token,
        );
        if (task.status === 201) tasks += 1;
      }
    }
  }

  const org = await api('GET', '/v1/organizations/current', undefined, ownerToken);
  let formLeads = 0;
  const forms = [
    {
      firstName: 'Grace',
      lastName: 'Holloway',
      email: 'grace.holloway@demo-lead.keyhouse.test',
      source: 'website',
      postalCode: agents[0].regions[0],
      message: 'Looking for a 3-bedroom near Green Lake.',
    },
    {
      firstName: 'Diego',
      lastName: 'Alvarez',
      email: 'diego.alvarez@demo-lead.keyhouse.test',
      source: 'referral',
      message: 'Referred by a friend; selling a condo.',
    },
    {
      firstName: 'Hana',
      lastName: 'Sato',
      email: 'hana.sato@demo-lead.keyhouse.test',
      source: 'social',
      message: 'Saw your listing on Instagram.',
    },
    {
      firstName: 'Priya',
      lastName: 'Nair',
      email: 'priya.nair@demo-lead.keyhouse.test',
      source: 'facebook',
      postalCode: agents[0].regions[0],
      message: 'Clicked your open-house ad on Facebook.',
    },
    {
      firstName: 'Owen',
      lastName: 'Price',
      email: 'owen.price@demo-lead.keyhouse.test',
      source: 'zillow',
      postalCode: agents[agents.length - 1].regions[0],
    },
  ];
  for (const form of forms) {
    const known = await api('GET', `/v1/contacts?q=${encodeURIComponent(form.email)}`, undefined, ownerToken);
    if ((known.body?.items ?? []).length > 0) continue;
    const response = await api('POST', '/v1/public/leads', { formKey: org.body.publicFormKey, ...form });
    if (response.status === 201) formLeads += 1;
  }
  return `${leadSources} lead sources, ${rules} assignment rules, ${companies} companies, ${tags} tags, ${contacts} contacts, ${tasks} tasks, ${formLeads} public-form leads added`;
}

module.exports = { seed };
