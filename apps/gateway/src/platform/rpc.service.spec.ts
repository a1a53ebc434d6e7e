import { defineRpc, type Actor, type RequestEnvelope, type RpcContract } from '@keyhouse/contracts';
import type { RpcClient } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from './gateway-request.type';
import { GatewayRpc } from './rpc.service';

function rpcWithRecorder(): { rpc: GatewayRpc; sent: Array<{ subject: string; envelope: RequestEnvelope }> } {
  const sent: Array<{ subject: string; envelope: RequestEnvelope }> = [];
  const client = {
    request: async (contract: RpcContract, envelope: RequestEnvelope) => {
      sent.push({ subject: contract.subject, envelope });
      return null;
    },
  } as unknown as RpcClient;
  return { rpc: new GatewayRpc(client), sent };
}

function requestOf(fields: Partial<GatewayRequest> & { headers?: Record<string, string> }): GatewayRequest {
  return {
    headers: {},
    requestId: 'req-1',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ...fields,
  } as GatewayRequest;
}

const actor: Actor = Object.freeze({
  type: 'user',
  userId: 'u-1',
  orgId: 'o-1',
  role: 'owner',
  teamIds: ['t-1'],
  permissions: ['users:read:org', 'users:write:org'],
});

describe('GatewayRpc.call envelope', () => {
  it('carries the verified actor, request id, trace context, idempotency key and data', async () => {
    const { rpc, sent } = rpcWithRecorder();
    await rpc.call(defineRpc<{ name: string }, null>('identity.users.me'), requestOf({ actor, headers: { 'idempotency-key': 'key-1' } }), {
      name: 'Ann',
    });
    expect(sent).toEqual([
      {
        subject: 'identity.users.me',
        envelope: {
          actor,
          requestId: 'req-1',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          idempotencyKey: 'key-1',
          data: { name: 'Ann' },
        },
      },
    ]);
    expect(sent[0].envelope.actor).toBe(actor);
  });

  it('sends a null actor for public routes, and no idempotency key when the client sent none', async () => {
    const { rpc, sent } = rpcWithRecorder();
    await rpc.call(defineRpc<undefined, null>('crm.forms.submit'), requestOf({}), undefined);
    expect(sent[0].envelope.actor).toBeNull();
    expect(sent[0].envelope.idempotencyKey).toBeUndefined();
  });
});
