import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the listener received: path with query, headers, raw body. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

/**
 * A tiny HTTP server standing in for Keyhouse's webhook endpoints in sandbox specs: records every
 * request and answers the next status of `statuses` (then 200), so a spec can make the first
 * attempts fail.
 */
export async function startWebhookListener(): Promise<{
  url: string;
  received: ReceivedWebhook[];
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  const queued: number[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '/', headers: request.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = queued.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext: (...statuses) => queued.push(...statuses),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
