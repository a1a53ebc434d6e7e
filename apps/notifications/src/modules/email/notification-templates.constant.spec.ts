import { NOTIFICATION_TRIGGERS, type NotificationType } from '../triggers/notification-triggers.constant';
import {
  EMAIL_TEMPLATE_KINDS,
  NOTIFICATION_TEMPLATES,
  dynamicTemplateDataOf,
  renderEmail,
  renderNotification,
  type EmailBranding,
} from './notification-templates.constant';

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

describe('the organization’s branding in the built-in email', () => {
  const branding: EmailBranding = {
    name: 'Acme Realty LLC',
    displayName: 'Acme <Realty> & "Sons"',
    logoUrl: 'https://cdn.example/logo.png?size=2&fmt="png"',
    primaryColor: '#1A2B3C',
    secondaryColor: '#FFFFFF',
  };

  it('shows the escaped logo, display name and primary colour, and signs the text', () => {
    const email = renderEmail('task_assigned', 'New task', 'Due <soon>.', 'https://app.example/tasks/1', branding);
    expect(email.html).toContain(
      '<img src="https://cdn.example/logo.png?size=2&amp;fmt=&quot;png&quot;" alt="Acme &lt;Realty&gt; &amp; &quot;Sons&quot;" height="48">',
    );
    expect(email.html).toContain('<p><strong>Acme &lt;Realty&gt; &amp; &quot;Sons&quot;</strong></p>');
    expect(email.html).toContain('<h1 style="color:#1A2B3C">New task</h1>');
    expect(email.html).toContain('<p>Due &lt;soon&gt;.</p>');
    expect(email.html).toContain('style="background-color:#1A2B3C;color:#ffffff;padding:8px 16px;text-decoration:none">Open the task</a>');
    expect(email.text).toBe('Due <soon>.\n\nOpen the task: https://app.example/tasks/1\n\n-- \nAcme <Realty> & "Sons"\n');
    expect(email.html).not.toContain('<Realty>');
  });

  it('uses the organization name without a display name', () => {
    const email = renderEmail('lead_assigned', 'T', 'B', null, { ...branding, displayName: null, logoUrl: null });
    expect(email.html).toContain('<p><strong>Acme Realty LLC</strong></p>');
    expect(email.html).not.toContain('<img');
  });

  it('leaves out a colour that is not #RRGGBB and a logo that is not https', () => {
    const email = renderEmail('lead_assigned', 'T', 'B', 'https://app.example/x', {
      name: null,
      displayName: null,
      logoUrl: 'javascript:alert(1)',
      primaryColor: 'red;background:url(https://evil.example)',
      secondaryColor: null,
    });
    expect(email.html).toBe(
      '<!doctype html><html><body><h1>T</h1><p>B</p><p><a href="https://app.example/x">Open the lead</a></p></body></html>',
    );
    expect(renderEmail('lead_assigned', 'T', 'B', null, { ...branding, logoUrl: 'http://cdn.example/logo.png' }).html).not.toContain(
      '<img',
    );
  });

  it('builds the dynamic template data with the words, the link and the branding', () => {
    expect(
      dynamicTemplateDataOf({
        type: 'lead_assigned',
        title: 'New lead assigned to you',
        body: 'A lead was assigned to you.',
        link: 'https://app.example/contacts/c1',
        data: { contactId: 'c1' },
        branding: { ...branding, secondaryColor: 'blue' },
      }),
    ).toEqual({
      type: 'lead_assigned',
      subject: 'New lead assigned to you',
      title: 'New lead assigned to you',
      body: 'A lead was assigned to you.',
      action: 'Open the lead',
      link: 'https://app.example/contacts/c1',
      data: { contactId: 'c1' },
      branding: {
        name: 'Acme <Realty> & "Sons"',
        logoUrl: 'https://cdn.example/logo.png?size=2&fmt="png"',
        primaryColor: '#1A2B3C',
        secondaryColor: null,
      },
    });
  });

  it('lists every user and contact notification type as an email kind', () => {
    expect(Object.keys(EMAIL_TEMPLATE_KINDS).sort()).toEqual(
      [...Object.keys(NOTIFICATION_TEMPLATES), 'invoice_sent', 'saved_search_match'].sort(),
    );
    expect(EMAIL_TEMPLATE_KINDS.invoice_sent.subject).toBe('Invoice {{number}} from your agent');
  });
});
