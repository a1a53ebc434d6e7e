import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FcmMessageRecord, SandboxState } from '../sandbox/sandbox-state.service';

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
/** google.rpc status and FCM errorCode per HTTP status (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode). */
const STATUS_OF: Record<number, [string, string | null, string]> = {
  400: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR', 'Request had invalid authentication credentials.'],
  403: ['PERMISSION_DENIED', 'SENDER_ID_MISMATCH', 'SenderId mismatch'],
  404: ['NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED', 'Quota exceeded for quota metric of service fcm.googleapis.com.'],
  500: ['INTERNAL', 'INTERNAL', 'Internal error encountered.'],
  503: ['UNAVAILABLE', 'UNAVAILABLE', 'The service is currently unavailable.'],
};

/** FCM v1's error body `{error: {code, message, status, details: [FcmError]}}` for `httpStatus`. */
export function fcmError(httpStatus: number, message?: string, errorCode?: string | null): Record<string, unknown> {
  const [status, defaultCode, defaultMessage] = STATUS_OF[httpStatus] ?? ['UNKNOWN', 'UNSPECIFIED_ERROR', 'Unknown error.'];
  const code = errorCode === undefined ? defaultCode : errorCode;
  return {
    error: {
      code: httpStatus,
      message: message ?? defaultMessage,
      status,
      ...(code ? { details: [{ '@type': FCM_ERROR_TYPE, errorCode: code }] } : {}),
    },
  };
}

function send(reply: FastifyReply, httpStatus: number, message?: string, errorCode?: string | null): FastifyReply {
  return reply.code(httpStatus).send(fcmError(httpStatus, message, errorCode));
}

/** Why `message` would be refused with 400 INVALID_ARGUMENT, or undefined (exactly one target; data values are strings). */
function invalidArgument(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'Invalid JSON payload received. Missing "message".';
  const target = message as Record<string, unknown>;
  const targets = ['token', 'topic', 'condition'].filter((key) => typeof target[key] === 'string' && (target[key] as string).length > 0);
  if (targets.length !== 1)
    return 'Request contains an invalid argument. Exactly one of message.token, message.topic or message.condition must be set.';
  const data = target.data;
  if (
    data !== undefined &&
    (typeof data !== 'object' || data === null || !Object.values(data).every((value) => typeof value === 'string'))
  ) {
    return 'Invalid JSON payload received. message.data values must be strings.';
  }
  return undefined;
}

/**
 * FCM HTTP v1 (firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send):
 * `POST /v1/projects/:projectId/messages:send` with `Authorization: Bearer` (any non-empty token,
 * else 401) → 200 `{name: "projects/<id>/messages/<n>"}`; `validate_only` answers a fake name and
 * records nothing; a token in `settings.fcmInvalidTokens` or marked through
 * `POST /sandbox/fcm/invalid-tokens` → 404 NOT_FOUND / UNREGISTERED; an injected fault answers its
 * status with FCM's body. `POST /token` is a stand-in for Google's OAuth2 token endpoint (for a
 * service-account credential); `GET /sandbox/fcm/messages?to=` lists what was accepted.
 */
export function registerFcmRoutes(app: FastifyInstance, state: SandboxState): void {
  app.post('/v1/projects/:projectId/messages::send', async (request, reply) => {
    const { projectId } = request.params as { projectId: string };
    if (!/^Bearer\s+\S+$/.test(request.headers.authorization ?? '')) {
      return send(reply, 401, 'Request is missing required authentication credential. Expected OAuth 2 access token.', null);
    }
    const fault = state.takeFault('fcm');
    if (fault) {
      if (fault.retryAfterSeconds !== undefined || fault.status === 429 || fault.status === 503) {
        reply.header('Retry-After', String(fault.retryAfterSeconds ?? 1));
      }
      return send(reply, fault.status);
    }
    const body = (request.body ?? {}) as { message?: unknown; validate_only?: unknown };
    const invalid = invalidArgument(body.message);
    if (invalid) return send(reply, 400, invalid);
    const message = body.message as Record<string, unknown>;
    const token = typeof message.token === 'string' ? message.token : null;
    if (token && (state.settings.fcmInvalidTokens.includes(token) || state.invalidFcmTokens.has(token))) {
      return send(reply, 404);
    }
    if (body.validate_only === true) return { name: `projects/${projectId}/messages/fake_message_id` };
    const record: FcmMessageRecord = {
      name: `projects/${projectId}/messages/${state.nextFcmNumber()}`,
      projectId,
      token,
      topic: typeof message.topic === 'string' ? message.topic : null,
      condition: typeof message.condition === 'string' ? message.condition : null,
      message,
      receivedAt: new Date().toISOString(),
    };
    state.fcmMessages.push(record);
    return { name: record.name };
  });

  // Google's OAuth2 token endpoint (RFC 6749 §5.1 response), for credentials that fetch a token.
  app.post('/token', async () => ({
    access_token: `ya29.sandbox-${randomBytes(12).toString('hex')}`,
    expires_in: 3599,
    token_type: 'Bearer',
  }));

  app.get('/sandbox/fcm/messages', async (request) => {
    const query = request.query as { to?: string; projectId?: string };
    return state.fcmMessages.filter(
      (message) =>
        (query.to === undefined || message.token === query.to || message.topic === query.to) &&
        (query.projectId === undefined || message.projectId === query.projectId),
    );
  });

  app.post('/sandbox/fcm/invalid-tokens', async (request, reply) => {
    const body = (request.body ?? {}) as { token?: unknown };
    if (typeof body.token !== 'string' || body.token.length === 0)
      return reply.code(400).send({ error: 'token must be a non-empty string' });
    state.invalidFcmTokens.add(body.token);
    return reply.code(201).send({ token: body.token });
  });
}
