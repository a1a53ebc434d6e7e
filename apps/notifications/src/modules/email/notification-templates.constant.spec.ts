import { renderEmail, renderNotification } from './notification-templates.constant';

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
});
