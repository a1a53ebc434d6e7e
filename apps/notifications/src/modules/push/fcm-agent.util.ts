import { Agent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * An `https.Agent` for firebase-admin's `httpAgent` (and `cert()`'s) that connects every request
 * (FCM v1 `messages:send` at fcm.googleapis.com, Google's token endpoint) to `baseUrl` instead:
 * plain TCP for an `http:` URL (the provider sandbox), TLS to that host for `https:`. The request
 * line and `Host` header stay Google's; firebase-admin 13 has no base-URL setting (ADR 0034).
 */
export function fcmBaseUrlAgent(baseUrl: string): Agent {
  const target = new URL(baseUrl);
  const secure = target.protocol === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  class BaseUrlAgent extends Agent {
    override createConnection(): Socket {
      return secure ? tlsConnect({ host: target.hostname, port, servername: target.hostname }) : connect(port, target.hostname);
    }
  }
  return new BaseUrlAgent({ keepAlive: false });
}
