import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@keyhouse/platform/config';
import { bootstrapService } from './bootstrap.util';
import { DEFAULT_SERVICE_HTTP_HOST, SERVICE_HTTP_HOST, serviceEnv } from './service-env.config';

@Module({})
class BareModule {
  /** An app with no chassis; `httpHost` stands in for what `ServiceCoreModule` provides. */
  static forRoot(httpHost?: string): DynamicModule {
    return { module: BareModule, providers: httpHost === undefined ? [] : [{ provide: SERVICE_HTTP_HOST, useValue: httpHost }] };
  }
}

describe('bootstrapService', () => {
  let app: NestFastifyApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const start = async (module: DynamicModule, host?: string) => {
    app = await bootstrapService({ serviceName: 'bootstrap-spec', module, healthPort: 0, host, logLevel: 'silent' });
    return (app.getHttpServer().address() as AddressInfo).address;
  };

  describe('bind address', () => {
    it('binds to loopback when neither host nor HTTP_HOST is given', async () => {
      expect(await start(BareModule.forRoot())).toBe('127.0.0.1');
    });

    it("binds to the HTTP_HOST the service's module provides", async () => {
      expect(await start(BareModule.forRoot('0.0.0.0'))).toBe('0.0.0.0');
    });

    it('binds to an explicit host before the configured one', async () => {
      expect(await start(BareModule.forRoot('0.0.0.0'), '127.0.0.1')).toBe('127.0.0.1');
    });
  });
});

describe('serviceEnv', () => {
  const shape = serviceEnv('SPEC', { healthPort: 3199, schema: 'spec', dbRole: 'keyhouse_spec' });

  it('defaults HTTP_HOST to loopback', () => {
    expect(DEFAULT_SERVICE_HTTP_HOST).toBe('127.0.0.1');
    expect(loadConfig(shape, {}).HTTP_HOST).toBe('127.0.0.1');
  });

  it('takes HTTP_HOST from the environment (containers set 0.0.0.0)', () => {
    expect(loadConfig(shape, { HTTP_HOST: '0.0.0.0' }).HTTP_HOST).toBe('0.0.0.0');
  });
});
