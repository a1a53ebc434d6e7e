import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { register } from 'prom-client';

/** Where the internal metrics listener binds. */
export interface MetricsListenerOptions {
  /** TCP port (0-65535); 0 takes any free port, read back with `MetricsListener.address()`. */
  port: number;
  /** Interface address: `127.0.0.1` (this machine only) or `0.0.0.0` (every interface, as a pod needs). */
  host: string;
}

export const METRICS_LISTENER_OPTIONS = Symbol('METRICS_LISTENER_OPTIONS');

/**
 * An internal HTTP listener that serves only `GET`/`HEAD /metrics`: the default prom-client
 * registry in Prometheus text exposition format 0.0.4. It keeps metrics off an app's public port
 * (the gateway's, issue 13). Any other path answers 404, another method on `/metrics` 405, both
 * as plain text. It listens when the Nest application boots (a port in use fails the start) and
 * closes, dropping open keep-alive connections, when the application shuts down.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;

  constructor(@Inject(METRICS_LISTENER_OPTIONS) private readonly options: MetricsListenerOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * Starts listening on the configured host and port (idempotent).
   *
   * @throws the listen error, e.g. `EADDRINUSE` when the port is taken.
   */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => {
      void answer(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /**
   * The bound address, e.g. `{ address: '127.0.0.1', family: 'IPv4', port: 9464 }`.
   *
   * @throws Error when the listener is not running.
   */
  address(): AddressInfo {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('the metrics listener is not listening');
    return address;
  }

  /** Stops listening and closes open connections (idempotent). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') return plain(response, 404, 'Not Found');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return plain(response, 405, 'Method Not Allowed');
  }
  try {
    const body = await register.metrics();
    response.writeHead(200, { 'Content-Type': register.contentType, 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    plain(response, 500, 'Internal Server Error');
  }
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}
