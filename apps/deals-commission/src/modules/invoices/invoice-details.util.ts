import type { Kysely } from 'kysely';
import type { InvoicePaymentView, InvoiceView } from '@keyhouse/contracts';
import type { DealsCommissionDb } from '../../database/deals-commission.db';

/** An invoice's lines (in position order) and payments (in the order recorded), as the invoice views show them. */
export interface InvoiceDetails {
  lines: InvoiceView['lineItems'];
  payments: InvoicePaymentView[];
}

/**
 * Lines and payments of the invoices `ids` in two queries (amounts in cents, `paidOn` as
 * `YYYY-MM-DD`), keyed by invoice id; every id has an entry, empty when it has neither. Callers
 * scope `ids` to what the actor may read: this reads by id only.
 */
export async function loadInvoiceDetails(db: Kysely<DealsCommissionDb>, ids: string[]): Promise<Map<string, InvoiceDetails>> {
  const map = new Map<string, InvoiceDetails>(ids.map((id) => [id, { lines: [], payments: [] }]));
  if (!ids.length) return map;
  const lines = await db
    .selectFrom('invoice_line')
    .selectAll()
    .where('invoice_id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .orderBy('invoice_id')
    .orderBy('position')
    .execute();
  for (const line of lines) {
    map.get(line.invoice_id)!.lines.push({
      description: line.description,
      quantity: line.quantity,
      unitAmount: Number(line.unit_amount_cents),
      amount: Number(line.amount_cents),
    });
  }
  const payments = await db
    .selectFrom('invoice_payment')
    .select((eb) => [
      'id',
      'invoice_id',
      'amount_cents',
      eb.cast<string>('paid_on', 'text').as('paid_on'),
      'method',
      'reference',
      'recorded_by',
      'created_at',
    ])
    .where('invoice_id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const payment of payments) {
    map.get(payment.invoice_id)!.payments.push({
      id: payment.id,
      amount: Number(payment.amount_cents),
      paidOn: payment.paid_on,
      method: payment.method,
      reference: payment.reference,
      recordedBy: payment.recorded_by,
      createdAt: payment.created_at.toISOString(),
    });
  }
  return map;
}
