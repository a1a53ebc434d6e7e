import { invoiceBalance, invoiceTotals } from './invoice-totals.util';

describe('invoice totals (integer cents)', () => {
  it('multiplies and sums lines exactly', () => {
    // 3 × $1,250.00 = $3,750.00; 1 × $395.00; 2 × $0.01 → $4,145.02
    expect(
      invoiceTotals([
        { description: 'Commission', quantity: 3, unitAmount: 125_000 },
        { description: 'Transaction fee', quantity: 1, unitAmount: 39_500 },
        { description: 'Postage', quantity: 2, unitAmount: 1 },
      ]),
    ).toEqual({ amounts: [375_000, 39_500, 2], total: 414_502 });
    expect(invoiceTotals([])).toEqual({ amounts: [], total: 0 });
  });

  it('refuses totals beyond the safe integer range and bad quantities', () => {
    expect(() => invoiceTotals([{ description: 'x', quantity: 2, unitAmount: Number.MAX_SAFE_INTEGER }])).toThrow(RangeError);
    expect(() => invoiceTotals([{ description: 'x', quantity: 0, unitAmount: 1 }])).toThrow(RangeError);
    expect(() => invoiceTotals([{ description: 'x', quantity: 1.5, unitAmount: 1 }])).toThrow(RangeError);
  });

  it('gives the balance after payments', () => {
    expect(invoiceBalance(414_502, 100_000)).toBe(314_502);
    expect(invoiceBalance(414_502, 414_502)).toBe(0);
  });
});
