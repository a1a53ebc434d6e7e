import { NOTIFICATION_TRIGGERS, type NotificationType } from '../triggers/notification-triggers.constant';
import { NOTIFICATION_TEMPLATES, renderEmail, renderNotification } from './notification-templates.constant';

describe('built-in notification templates', () => {
  it('fills the lead-assigned template', () => {
    expect(renderNotification('lead_assigned', { strategy: 'round robin', respondByLine: ' Respond by noon.' })).toEqual({
      title: 'New lead assigned to you',
      body: 'A lead was assigned to you (round robin). Respond by noon.',
    });
  });

  it('renders plain text and escaped HTML with the call to action', () => {
    const email = renderEmail('task_assigned', 'New task: <b>Call</b> & "visit"', 'Due soon.', 'https://app.example/tasks/1?a=1&b=2');
    expect(email.subject).toBe('New task: <b>Call</b> & "visit"');
    expect(email.text).toBe('Due soon.\n\nOpen the task: https://app.example/tasks/1?a=1&b=2\n');
    expect(email.html).toContain('<h1>New task: &lt;b&gt;Call&lt;/b&gt; &amp; &quot;visit&quot;</h1>');
    expect(email.html).toContain('<a href="https://app.example/tasks/1?a=1&amp;b=2">Open the task</a>');
  });

  it('leaves the call to action out without a link', () => {
    expect(renderEmail('lead_assigned', 'T', 'B', null)).toMatchObject({ text: 'B\n', html: expect.not.stringContaining('<a ') });
  });

  it('fills the templates of the other built-in triggers', () => {
    expect(renderNotification('invoice_paid', { invoiceNumber: 'INV-7', billTo: 'Acme', total: '$1,000.00' })).toEqual({
      title: 'Invoice INV-7 paid',
      body: 'Invoice INV-7 to Acme is paid in full ($1,000.00).',
    });
    expect(renderNotification('deal_deadline_missed', { keyDate: 'appraisal deadline', date: '2026-12-20' })).toEqual({
      title: 'Missed deadline: appraisal deadline',
      body: 'The appraisal deadline of a transaction you work on was due 2026-12-20 and is not marked done.',
    });
    expect(renderNotification('client_registered', { clientName: 'Casey' }).title).toBe('A client joined the portal: Casey');
  });

  it('gives every trigger type a template with a title, a body and a call to action', () => {
    for (const [type, template] of Object.entries(NOTIFICATION_TEMPLATES)) {
      expect([type, template.title.length > 0, template.body.length > 0, template.action.startsWith('Open ')]).toEqual([
        type,
        true,
        true,
        true,
      ]);
    }
    expect(Object.keys(NOTIFICATION_TEMPLATES).sort()).toEqual(Object.keys(NOTIFICATION_TRIGGERS).sort());
  });

  it('renders the email of a type without a template here with a neutral call to action', () => {
    const email = renderEmail('invoice_sent' as NotificationType, 'Your invoice', 'Invoice INV-7 is attached.', 'https://app.example/i/7');
    expect(email.text).toBe('Invoice INV-7 is attached.\n\nOpen Keyhouse: https://app.example/i/7\n');
  });
});
