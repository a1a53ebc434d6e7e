import twilio from 'twilio';
import type { TwilioWebhookRequest } from '@keyhouse/contracts';

/** The auth token the tests and the provider sandbox share (the sandbox's default). */
export const TEST_TWILIO_AUTH_TOKEN = 'sandbox-twilio-auth-token';
/** Public base URL the tests sign webhooks over (`TWILIO_WEBHOOK_BASE_URL`). */
export const TEST_TWILIO_WEBHOOK_BASE_URL = 'https://hooks.keyhouse.test';

/**
 * A Twilio webhook request to `path` with `params` as a form body, signed like Twilio does
 * (`twilio.getExpectedTwilioSignature`: HMAC-SHA1 with `token` over base URL + path and the
 * params sorted by name).
 */
export function signedTwilioRequest(
  path: string,
  params: Record<string, string>,
  token = TEST_TWILIO_AUTH_TOKEN,
  baseUrl = TEST_TWILIO_WEBHOOK_BASE_URL,
): TwilioWebhookRequest {
  return {
    rawBody: new URLSearchParams(params).toString(),
    signature: twilio.getExpectedTwilioSignature(token, `${baseUrl}${path}`, params),
    path,
  };
}
