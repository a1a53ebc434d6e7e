import { REDACTED, redactSecrets } from './email-sender.port';

describe('redactSecrets', () => {
  it('replaces each secret in the text and the variables, a link whole before the token inside it', () => {
    const token = 'tok_abc123';
    const link = `https://app.example/reset-password?token=${token}`;
    const shown = redactSecrets({
      text: `Use this link: ${link}\nOr paste ${token}.`,
      variables: { reason: 'password_reset' },
      secrets: { token, link },
    });
    expect(shown).toEqual({
      text: `Use this link: ${REDACTED}\nOr paste ${REDACTED}.`,
      variables: { reason: 'password_reset', token: REDACTED, link: REDACTED },
    });
  });

  it('leaves a message without secrets as it is', () => {
    expect(redactSecrets({ text: 'Hello', variables: { reason: 'mfa_locked' } })).toEqual({
      text: 'Hello',
      variables: { reason: 'mfa_locked' },
    });
  });
});
