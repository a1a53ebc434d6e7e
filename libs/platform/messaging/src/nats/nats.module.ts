import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { connect, type NatsConnection } from 'nats';
import { NATS_CONNECTION, NATS_OPTIONS, type NatsModuleOptions } from './nats.constant';
import { RpcClient } from './rpc-client.service';
import { RpcServer } from './rpc-server.service';

/** Opens one NATS connection for the process (reconnecting forever) with the RPC client and server. */
export async function connectNats(options: NatsModuleOptions): Promise<NatsConnection> {
  const logger = new Logger('Nats');
  const connection = await connect({
    servers: options.servers.split(','),
    name: options.serviceName,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  });
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        logger.warn(`NATS ${status.type}: ${String(status.data)}`);
      }
    }
  })();
  return connection;
}

@Global()
@Module({})
export class NatsModule {
  static forRoot(options: NatsModuleOptions): DynamicModule {
    return {
      module: NatsModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: NATS_OPTIONS, useValue: options },
        { provide: NATS_CONNECTION, useFactory: () => connectNats(options) },
        RpcClient,
        RpcServer,
        {
          provide: 'NATS_CLOSER',
          inject: [NATS_CONNECTION],
          useFactory: (connection: NatsConnection) => ({
            onApplicationShutdown: async () => {
              if (!connection.isClosed()) await connection.drain().catch(() => connection.close());
            },
          }),
        },
      ],
      exports: [NATS_CONNECTION, NATS_OPTIONS, RpcClient],
    };
  }
}
