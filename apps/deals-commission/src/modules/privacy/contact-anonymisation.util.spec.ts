import { anonymiseActivityData, anonymiseParticipants } from './contact-anonymisation.util';

const ERASED = '0190f0a0-0000-7000-8000-000000000001';
const OTHER = '0190f0a0-0000-7000-8000-000000000002';

describe('anonymiseParticipants', () => {
  it('erases name, company, email and phone of the entries linked to the contact, keeping role, side and ids, and leaves the others as they were', () => {
    const lender = {
      side: 'buy',
      role: 'lender',
      name: 'Lena Lender',
      company: 'First Bank',
      email: 'lena@bank.example',
      phone: '+12065550100',
    };
    const result = anonymiseParticipants(
      [
        {
          side: 'buy',
          role: 'other',
          contactId: ERASED,
          name: 'Bea Buyer',
          company: 'Bea LLC',
          email: 'bea@example.com',
          phone: '+12065550123',
        },
        lender,
        { side: 'list', role: 'attorney', contactId: OTHER, name: 'Otto Other', email: 'otto@example.com' },
        { side: 'both', role: 'escrow_title', contactId: ERASED, userId: null },
      ],
      ERASED,
    );
    expect(result.changed).toBe(2);
    expect(result.participants).toEqual([
      { side: 'buy', role: 'other', contactId: ERASED, name: 'Erased contact', company: null, email: null, phone: null },
      lender,
      { side: 'list', role: 'attorney', contactId: OTHER, name: 'Otto Other', email: 'otto@example.com' },
      {
        side: 'both',
        role: 'escrow_title',
        contactId: ERASED,
        userId: null,
        name: 'Erased contact',
        company: null,
        email: null,
        phone: null,
      },
    ]);
  });

  it('counts nothing for entries already anonymised and returns a non-array as it was', () => {
    const done = [{ side: 'buy', role: 'other', contactId: ERASED, name: 'Erased contact', company: null, email: null, phone: null }];
    expect(anonymiseParticipants(done, ERASED)).toEqual({ participants: done, changed: 0 });
    expect(anonymiseParticipants(null, ERASED)).toEqual({ participants: null, changed: 0 });
  });
});

describe('anonymiseActivityData', () => {
  it('anonymises both sides of a participants change and keeps the other changes', () => {
    const data = {
      changes: {
        price: { from: 100, to: 200 },
        participants: { from: [], to: [{ side: 'buy', role: 'other', contactId: ERASED, name: 'Bea Buyer', email: 'bea@example.com' }] },
      },
    };
    expect(anonymiseActivityData(data, ERASED)).toEqual({
      changed: true,
      data: {
        changes: {
          price: { from: 100, to: 200 },
          participants: {
            from: [],
            to: [{ side: 'buy', role: 'other', contactId: ERASED, name: 'Erased contact', company: null, email: null, phone: null }],
          },
        },
      },
    });
  });

  it('leaves entries without a participants change, or naming only other contacts, unchanged', () => {
    const stage = { from: 'new', to: 'contacted' };
    expect(anonymiseActivityData(stage, ERASED)).toEqual({ data: stage, changed: false });
    const other = { changes: { participants: { from: [{ side: 'buy', role: 'other', contactId: OTHER, name: 'Otto' }], to: [] } } };
    expect(anonymiseActivityData(other, ERASED)).toEqual({ data: other, changed: false });
  });
});
