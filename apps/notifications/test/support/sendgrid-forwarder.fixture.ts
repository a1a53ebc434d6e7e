import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SendgridWebhookRequest } from '@keyhouse/contracts';

/**
 * Stands in for the gateway's `POST /v1/webhooks/sendgrid/events` in service-only specs: the
 * provider sandbox posts its signed Event Webhook batches here, and each is handed to `forward`
 * (the `NotificationsSubjects.sendgridEvents` RPC) with the raw body and the two signature headers,
 * as the gateway forwards them. Answers 200 once `forward` resolves, 503 when it throws (the
 * service is down or restarting), so the sandbox retries like SendGrid does.
 */
export async function startSendgridForwarder(
  forward: (request: SendgridWebhookRequest) => Promise<unknown>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : null;
      };
      forward({
        rawBody: Buffer.concat(chunks).toString('utf8'),
        signature: header('x-twilio-email-event-webhook-signature'),
        timestamp: header('x-twilio-email-event-webhook-timestamp'),
      }).then(
        () => {
          response.statusCode = 200;
          response.end();
        },
        () => {
          response.statusCode = 503;
          response.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/webhooks/sendgrid/events`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
