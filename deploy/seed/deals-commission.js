'use strict';
/**
 * Demo data of the deals-commission service, through the public API only, safe to run again:
 * - three commission plans (tiered 70/30 → 80/20 → 90/10, capped 80/20, 25 % referral) assigned to
 *   the demo agents;
 * - a sample of the King County closed sales as closed (won) transactions of the demo agents, so
 *   the commission report shows real prices and dates. Sales are read from the listings service
 *   (`GET /v1/properties?standardStatus=Closed`, the listings seed runs first) with their property
 *   ids; when that answers nothing, from `../shared/data/king-county/kc_house_data.csv` directly
 *   (prices and dates only, propertyId null);
 * - deal settings (Pacific time, US federal holidays 2026–2027, reminders 3 days and 1 day before);
 * - three invoices for transaction fees on the first closed deals (one paid, one sent, one draft),
 *   when the organization has none.
 */
const fs = require('node:fs');
const path = require('node:path');

const SAMPLE_SIZE = 60;

const PLANS = [
  {
    name: 'Standard tiered 70/30',
    grossRateBps: 300,
    agentSplitBps: 7000,
    transactionFeeCents: 39_500,
    tiers: [
      { thresholdCents: 5_000_000, agentSplitBps: 8000 },
      { thresholdCents: 10_000_000, agentSplitBps: 9000 },
    ],
  },
  { name: 'Capped 80/20', grossRateBps: 250, agentSplitBps: 8000, transactionFeeCents: 25_000, annualCapCents: 1_800_000 },
  { name: 'Referral 25% 75/25', grossRateBps: 300, agentSplitBps: 7500, referralFeeBps: 2500, transactionFeeCents: 39_500 },
];

function ok(response, what) {
  if (response.status >= 300) throw new Error(`deals seed: ${what} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Closed sales from the listings service, or null when it has none. */
async function closedFromListings(api, token) {
  const sales = [];
  let cursor = null;
  for (let page = 0; page < 5 && sales.length < SAMPLE_SIZE; page += 1) {
    const query = `/v1/properties?standardStatus=Closed&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await api('GET', query, undefined, token);
    if (response.status !== 200) return null;
    for (const item of response.body.items) {
      if (item.closePrice && item.closeDate)
        sales.push({ propertyId: item.id, price: item.closePrice, date: item.closeDate, zip: item.postalCode });
    }
    cursor = response.body.nextCursor;
    if (!cursor) break;
  }
  return sales.length ? sales.slice(0, SAMPLE_SIZE) : null;
}

/** Every n-th sale of the King County file (price in dollars → cents, date `20141013T000000` → `2014-10-13`). */
function closedFromCsv() {
  const file = path.resolve(__dirname, '../../../shared/data/king-county/kc_house_data.csv');
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const step = Math.floor(lines.length / SAMPLE_SIZE);
  const sales = [];
  for (let i = 0; i < lines.length && sales.length < SAMPLE_SIZE; i += step) {
    const cells = lines[i].split(',').map((cell) => cell.replace(/"/g, ''));
    const date = `${cells[1].slice(0, 4)}-${cells[1].slice(4, 6)}-${cells[1].slice(6, 8)}`;
    sales.push({ propertyId: null, price: Math.round(Number(cells[2]) * 100), date, zip: cells[16] });
  }
  return sales;
}

/** US federal holidays observed in 2026 and 2027 (business-day arithmetic of contract deadlines). */
const HOLIDAYS = [
  '2026-01-01',
  '2026-01-19',
  '2026-02-16',
  '2026-05-25',
  '2026-06-19',
  '2026-07-03',
  '2026-09-07',
  '2026-10-12',
  '2026-11-11',
  '2026-11-26',
  '2026-12-25',
  '2027-01-01',
  '2027-01-18',
  '2027-02-15',
  '2027-05-31',
  '2027-06-18',
  '2027-07-05',
  '2027-09-06',
  '2027-10-11',
  '2027-11-11',
  '2027-11-25',
  '2027-12-24',
];

/** Deal settings (a PATCH, idempotent) and a few invoices when there are none. */
async function settingsAndInvoices(api, token) {
  ok(
    await api(
      'PATCH',
      '/v1/deal-settings',
      { timeZone: 'America/Los_Angeles', holidays: HOLIDAYS, reminderOffsetsMinutes: [4320, 1440] },
      token,
    ),
    'deal settings',
  );
  const invoices = ok(await api('GET', '/v1/invoices?limit=1', undefined, token), 'invoices');
  if (invoices.items.length) return 'invoices already present';
  const deals = ok(await api('GET', '/v1/transactions?status=won&limit=3', undefined, token), 'closed transactions').items;
  const today = new Date().toISOString().slice(0, 10);
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  for (const [index, deal] of deals.entries()) {
    const invoice = ok(
      await api(
        'POST',
        '/v1/invoices',
        {
          transactionId: deal.id,
          billTo: { name: 'Demo Agent', company: 'Keyhouse Demo Realty' },
          dueDate: due,
          lineItems: [
            { description: `Transaction fee, closing ${deal.closeDate}`, quantity: 1, unitAmount: 39_500 },
            { description: 'E&O insurance contribution', quantity: 1, unitAmount: 5_000 },
          ],
          notes: 'Demo invoice',
        },
        token,
      ),
      'invoice',
    );
    if (index < 2) ok(await api('POST', `/v1/invoices/${invoice.id}/send`, {}, token), 'send invoice');
    if (index === 0) {
      ok(
        await api(
          'POST',
          `/v1/invoices/${invoice.id}/payments`,
          { amount: invoice.total, paidOn: today, method: 'ach', reference: 'DEMO-ACH' },
          token,
        ),
        'payment',
      );
    }
  }
  return `${deals.length} invoices`;
}

async function seed({ api, login, demo }) {
  const token = await login(demo.owner.email);
  const agents = ok(await api('GET', '/v1/agents?limit=100', undefined, token), 'agents').items.filter((agent) =>
    demo.agents.some((candidate) => candidate.email === agent.email),
  );
  if (!agents.length) return 'no demo agents';

  const existingPlans = ok(await api('GET', '/v1/commission-plans?limit=100', undefined, token), 'plans').items;
  const planIds = [];
  for (const plan of PLANS) {
    const found = existingPlans.find((candidate) => candidate.name === plan.name);
    planIds.push(found ? found.id : ok(await api('POST', '/v1/commission-plans', plan, token), `plan ${plan.name}`).id);
  }
  for (const [index, agent] of agents.entries()) {
    ok(await api('PATCH', `/v1/agents/${agent.userId}/commission-plan`, { planId: planIds[index % planIds.length] }, token), 'assign plan');
  }

  const won = ok(await api('GET', '/v1/transactions?status=won&limit=1', undefined, token), 'transactions');
  if (won.items.length) return `${PLANS.length} plans; closed transactions already present; ${await settingsAndInvoices(api, token)}`;

  const fromListings = await closedFromListings(api, token);
  const sales = (fromListings ?? closedFromCsv()).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (const [index, sale] of sales.entries()) {
    const agent = agents[index % agents.length];
    ok(
      await api(
        'POST',
        '/v1/transactions',
        {
          propertyId: sale.propertyId,
          agentId: agent.userId,
          side: index % 3 === 0 ? 'list' : 'buy',
          price: sale.price,
          stage: 'closed',
          closePrice: sale.price,
          closeDate: sale.date,
          expectedCloseDate: sale.date,
          notes: `King County sale${sale.zip ? ` in ${sale.zip}` : ''} (demo data)`,
        },
        token,
      ),
      'closed transaction',
    );
  }
  const source = fromListings ? 'listings closed properties' : 'kc_house_data.csv (propertyId null)';
  return `${PLANS.length} plans, ${sales.length} closed transactions from ${source}; ${await settingsAndInvoices(api, token)}`;
}

module.exports = { seed };
