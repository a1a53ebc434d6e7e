import type { Actor, RequestEnvelope } from '@keyhouse/contracts';
import type { RpcClient } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from './gateway-request';
import { GatewayRpc } from './rpc.service';

interface Sent {
  subject: string;
  json: string;
  meta: { requestId: string; traceparent?: string };
}

function rpcWithRecorder(): { rpc: GatewayRpc; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    requestJson: async (subject: string, json: string, meta: Sent['meta']) => {
      sent.push({ subject, json, meta: { requestId: meta.requestId, traceparent: meta.traceparent } });
      return null;
    },
  } as unknown as RpcClient;
  return { rpc: new GatewayRpc(client), sent };
}

function requestOf(fields: Partial<GatewayRequest> & { headers?: Record<string, string> }): GatewayRequest {
  return { headers: {}, requestId: 'req-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', ...fields } as GatewayRequest;
}

const actor: Actor = {
  type: 'user',
  userId: 'u-1',
  orgId: 'o-1',
  role: 'owner',
  teamIds: ['t-1'],
  permissions: ['users:read:org', 'users:write:org'],
  sessionId: 's-1',
  ip: '127.0.0.1',
  userAgent: 'agent "quoted" \u2028',
};

describe('GatewayRpc.call envelope', () => {
  it.each([
    ['an actor, data and no idempotency key', requestOf({ actor }), { name: 'Ann', nested: { list: [1, 'two'] } }],
    ['a frozen actor (cached JSON) and an idempotency key', requestOf({ actor: Object.freeze({ ...actor }), headers: { 'idempotency-key': 'key "1"' } }), { a: 1 }],
    ['no actor and undefined data', requestOf({}), undefined],
    ['no trace context', requestOf({ actor, traceparent: undefined as unknown as string }), {}],
  ])('sends exactly the JSON of the RequestEnvelope with %s', async (_label, request, data) => {
    const { rpc, sent } = rpcWithRecorder();
    await rpc.call('identity.users.me', request, data);
    const idempotencyKey = request.headers['idempotency-key'];
    const envelope: RequestEnvelope<unknown> = {
      actor: request.actor ?? null,
      requestId: request.requestId,
      traceparent: request.traceparent,
      ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
      data,
    };
    expect(sent).toHaveLength(1);
    expect(sent[0].json).toBe(JSON.stringify(envelope));
    expect(JSON.parse(sent[0].json)).toEqual(JSON.parse(JSON.stringify(envelope)));
    expect(sent[0].meta).toEqual({ requestId: request.requestId, traceparent: request.traceparent });
  });

  it('serializes a reused frozen actor from its cache but re-serializes a mutable one that changed', async () => {
    const { rpc, sent } = rpcWithRecorder();
    const frozen = Object.freeze({ ...actor });
    await rpc.call('s', requestOf({ actor: frozen }), {});
    await rpc.call('s', requestOf({ actor: frozen }), {});
    expect(sent[1].json).toBe(sent[0].json);

    const mutable: Actor = { ...actor, permissions: ['users:read:own'] };
    await rpc.call('s', requestOf({ actor: mutable }), {});
    (mutable as { permissions: string[] }).permissions = ['users:read:org'];
    await rpc.call('s', requestOf({ actor: mutable }), {});
    expect((JSON.parse(sent[3].json) as { actor: Actor }).actor.permissions).toEqual(['users:read:org']);
  });
});
