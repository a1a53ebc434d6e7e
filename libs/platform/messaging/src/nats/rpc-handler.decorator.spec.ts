import 'reflect-metadata';
import { defineRpc, type RequestEnvelope } from '@keyhouse/contracts';
import { RPC_HANDLER_METADATA } from './nats.constant';
import { RpcHandler } from './rpc-handler.decorator';

const Get = defineRpc<{ id: string }, { name: string }>('test.things.get');

class ThingsService {
  @RpcHandler(Get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<{ name: string }> {
    return { name: envelope.data.id };
  }
}

// The mismatches the contract exists to catch fail typecheck (npm test's `tsc`), not at run time.
class WrongThingsService {
  // @ts-expect-error the handler takes a request of another shape
  @RpcHandler(Get)
  async byNumber(envelope: RequestEnvelope<{ id: number }>): Promise<{ name: string }> {
    return { name: String(envelope.data.id) };
  }

  // @ts-expect-error the handler answers a response of another shape
  @RpcHandler(Get)
  async nameless(envelope: RequestEnvelope<{ id: string }>): Promise<{ title: string }> {
    return { title: envelope.data.id };
  }
}

describe('RpcHandler', () => {
  it("records the contract's subject on the method for RpcServer", () => {
    expect(Reflect.getMetadata(RPC_HANDLER_METADATA, ThingsService.prototype.get)).toBe('test.things.get');
    expect(Reflect.getMetadata(RPC_HANDLER_METADATA, WrongThingsService.prototype.byNumber)).toBe('test.things.get');
  });
});
