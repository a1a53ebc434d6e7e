import { PERMISSION_WIRE_ORDER, type Actor, type RequestEnvelope } from '@keyhouse/contracts';
import { actorWireJson, parseRequestEnvelope, requestEnvelopeJson } from './request-envelope.codec';

const owner: Actor = {
  type: 'user',
  userId: 'u-1',
  orgId: 'o-1',
  role: 'owner',
  teamIds: ['t-1'],
  permissions: PERMISSION_WIRE_ORDER.map((key) => `${key}:org`),
  sessionId: 's-1',
  ip: '127.0.0.1',
  userAgent: 'agent "quoted" \u2028',
};

const agent: Actor = {
  ...owner,
  userId: 'u-2',
  role: 'agent',
  permissions: ['contacts:read:own', 'contacts:read:team', 'tasks:write:own'],
};

describe('request envelope wire format', () => {
  it.each([
    [
      'an owner, data and an idempotency key',
      {
        actor: owner,
        requestId: 'r-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        idempotencyKey: 'key "1"',
        data: { name: 'Ann', nested: { list: [1, 'two'] } },
      },
    ],
    ['an agent and no trace context', { actor: agent, requestId: 'r-2', data: {} }],
    ['no actor and no data', { actor: null, requestId: 'r-3', data: undefined }],
  ] as Array<[string, RequestEnvelope]>)('is read back as the same envelope: %s', (_label, envelope) => {
    const parsed = parseRequestEnvelope(requestEnvelopeJson(envelope));
    const { actor, ...rest } = parsed;
    const { actor: sentActor, ...sentRest } = envelope;
    expect(rest).toEqual(JSON.parse(JSON.stringify(sentRest)));
    expect(actor && { ...actor, permissions: [...actor.permissions].sort() }).toEqual(
      sentActor && { ...sentActor, permissions: [...sentActor.permissions].sort() },
    );
  });

  it('sends the permissions of catalogue pairs as their code, not as the list', () => {
    const wire = JSON.parse(requestEnvelopeJson({ actor: owner, requestId: 'r', data: null })) as { actor: { permissions: unknown } };
    expect(wire.actor.permissions).toBe('4'.repeat(PERMISSION_WIRE_ORDER.length));
    expect(requestEnvelopeJson({ actor: owner, requestId: 'r', data: null }).length).toBeLessThan(JSON.stringify(owner).length - 500);
  });

  it('sends the list as it is when one permission is not in the catalogue', () => {
    const odd: Actor = { ...agent, permissions: ['contacts:read:own', 'widgets:read:org'] };
    const wire = JSON.parse(requestEnvelopeJson({ actor: odd, requestId: 'r', data: null })) as { actor: { permissions: unknown } };
    expect(wire.actor.permissions).toEqual(['contacts:read:own', 'widgets:read:org']);
    expect(parseRequestEnvelope(JSON.stringify({ actor: odd, requestId: 'r' })).actor?.permissions).toEqual(odd.permissions);
  });

  it('shares one frozen list between envelopes with the same code', () => {
    const first = parseRequestEnvelope(requestEnvelopeJson({ actor: agent, requestId: 'a', data: null })).actor!;
    const second = parseRequestEnvelope(requestEnvelopeJson({ actor: { ...agent, userId: 'u-3' }, requestId: 'b', data: null })).actor!;
    expect(second.permissions).toBe(first.permissions);
    expect(Object.isFrozen(first.permissions)).toBe(true);
  });

  it('writes a frozen actor once, but a mutable one again after it changed', () => {
    const frozen = Object.freeze({ ...agent });
    expect(actorWireJson(frozen)).toBe(actorWireJson(frozen));
    const mutable: Actor = { ...agent, permissions: ['users:read:own'] };
    const before = actorWireJson(mutable);
    mutable.permissions = ['users:read:org'];
    expect(actorWireJson(mutable)).not.toBe(before);
    expect(parseRequestEnvelope(requestEnvelopeJson({ actor: mutable, requestId: 'r', data: null })).actor?.permissions).toEqual([
      'users:read:org',
    ]);
  });

  it('refuses a malformed permission code and text that is not JSON', () => {
    expect(() => parseRequestEnvelope('{"actor":{"permissions":"4x"},"requestId":"r"}')).toThrow('Malformed permission code');
    expect(() => parseRequestEnvelope('{"actor":')).toThrow(SyntaxError);
  });
});
