import { Agent, type AgentOptions } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * An HTTP agent for firebase-admin's `httpAgent` app option that sends its requests for
 * https://fcm.googleapis.com (and any other Google host) in plain HTTP to the sandbox at
 * `sandboxUrl` — firebase-admin 13 has no FCM base-URL setting or emulator variable, but it hands
 * every HTTP/1.1 request (`messaging().send`, token fetches) to this agent. `sendEach` uses HTTP/2,
 * which bypasses agents: call `messaging().enableLegacyHttpTransport()` first.
 */
export function fcmSandboxAgent(sandboxUrl: string, options: AgentOptions = {}): Agent {
  const target = new URL(sandboxUrl);
  class SandboxAgent extends Agent {
    // Node checks the agent's protocol against the request's (https:).
    protocol = 'https:';
    override createConnection(): Socket {
      return connect(Number(target.port || 80), target.hostname);
    }
  }
  return new SandboxAgent({ keepAlive: false, ...options });
}
