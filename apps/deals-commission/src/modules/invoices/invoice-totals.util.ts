import type { InvoiceLineItem } from '@keyhouse/contracts';
import { MAX_CENTS } from '@keyhouse/util';

/**
 * Line amounts and the invoice total in integer cents: `amount = quantity × unitAmount`, `total = Σ
 * amount`, computed in `bigint` and refused (RangeError) beyond `Number.MAX_SAFE_INTEGER`, so no
 * float ever touches money. The database re-checks each line (`amount_cents = quantity *
 * unit_amount_cents`) and `paid_cents <= total_cents`.
 */
export function invoiceTotals(lines: readonly InvoiceLineItem[]): { amounts: number[]; total: number } {
  let total = 0n;
  const amounts = lines.map((line) => {
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) throw new RangeError('quantity must be a positive integer');
    if (!Number.isSafeInteger(line.unitAmount) || line.unitAmount < 0)
      throw new RangeError('unitAmount must be a non-negative integer of cents');
    const amount = BigInt(line.quantity) * BigInt(line.unitAmount);
    total += amount;
    return amount;
  });
  if (total > BigInt(MAX_CENTS)) throw new RangeError('total exceeds the largest amount');
  return { amounts: amounts.map(Number), total: Number(total) };
}

/** What is left to pay after `paid` (cents); never negative. */
export function invoiceBalance(total: number, paid: number): number {
  return Math.max(0, total - paid);
}
