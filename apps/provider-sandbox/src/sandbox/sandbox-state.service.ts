import type { SandboxSettings } from '../sandbox-settings.config';

/** The kinds of webhook POST the sandbox makes, as listed by `GET /sandbox/webhooks?kind=`. */
export type WebhookKind = 'sendgrid.events' | 'twilio.status' | 'twilio.inbound';

/** One webhook the sandbox posted (or tried to): the last attempt's outcome and what was sent. */
export interface WebhookRecord {
  id: string;
  kind: WebhookKind;
  target: string;
  /** HTTP status of the last attempt; null when it never got an answer (connection refused, timeout). */
  statusCode: number | null;
  attempts: number;
  /** Whether an attempt answered 2xx (redirects are not followed, like SendGrid and Twilio). */
  delivered: boolean;
  error: string | null;
  headers: Record<string, string>;
  /** The raw body of the last attempt (JSON for SendGrid, form-urlencoded for Twilio). */
  body: string;
  createdAt: string;
}

/** The providers faults can be injected into. */
export type SandboxProvider = 'sendgrid' | 'twilio' | 'fcm';

/** An injected fault: the next `remaining` calls to `provider` answer `status` (and Twilio `code`). */
export interface SandboxFault {
  provider: SandboxProvider;
  status: number;
  code?: number;
  /** Seconds for `Retry-After` (default 1 on 429 and 503). */
  retryAfterSeconds?: number;
  remaining: number;
}

/** One recipient of a recorded SendGrid send (one per `to`/`cc`/`bcc` of each personalization). */
export interface SendgridRecipient {
  email: string;
  personalization: number;
  /** Message-level custom_args overridden by the personalization's, as the events carry them. */
  customArgs: Record<string, string>;
  /** This recipient's `sg_message_id`: the X-Message-Id plus a `.filter…` suffix, as SendGrid's events carry it. */
  sgMessageId: string;
}

/** A mail send the sandbox accepted (202). */
export interface SendgridMessageRecord {
  messageId: string;
  apiKey: string;
  from: string;
  subject: string | null;
  templateId: string | null;
  categories: string[];
  recipients: SendgridRecipient[];
  /** The event types posted (or generated, when no events URL is set) so far, in order. */
  events: string[];
  /** The request body as received. */
  request: Record<string, unknown>;
  receivedAt: string;
}

/** A Twilio message the sandbox created (201): the resource it answered and the statuses it posted since. */
export interface TwilioMessageRecord {
  sid: string;
  accountSid: string;
  from: string | null;
  to: string;
  body: string;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  status: string;
  statuses: string[];
  /** ErrorCode of a failed/undelivered status. */
  errorCode: string | null;
  /** The form parameters as received. */
  request: Record<string, string>;
  dateCreated: string;
}

/** An FCM message the sandbox accepted (200). */
export interface FcmMessageRecord {
  name: string;
  projectId: string;
  token: string | null;
  topic: string | null;
  condition: string | null;
  message: Record<string, unknown>;
  receivedAt: string;
}

/**
 * Everything the sandbox remembers, in memory only: what it received, what it posted, the Twilio
 * opt-out ledger, injected faults and the current settings. `reset()` empties it and restores the
 * settings it started with. Timers scheduled through `delay` stop when `close()` is called.
 */
export class SandboxState {
  settings: SandboxSettings;
  sendgridMessages: SendgridMessageRecord[] = [];
  twilioMessages: TwilioMessageRecord[] = [];
  fcmMessages: FcmMessageRecord[] = [];
  webhooks: WebhookRecord[] = [];
  faults: SandboxFault[] = [];
  /** FCM tokens marked invalid at runtime (besides `settings.fcmInvalidTokens`). */
  invalidFcmTokens = new Set<string>();
  /** Opted-out pairs `sender|recipient`; sender is our number or Messaging Service SID (Twilio's scope). */
  private readonly optOuts = new Set<string>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: (ran: boolean) => void }>();
  /** Webhook posts under way (`track`): `reset()` waits for them, so none lands after it. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private fcmCounter = 0;

  constructor(private readonly initialSettings: SandboxSettings) {
    this.settings = { ...initialSettings };
  }

  /**
   * Forgets everything received, posted and injected, cancels pending events, and restores the
   * start settings. Resolves once the webhook posts under way have settled (a post in progress
   * finishes, no retry or later event follows), so that nothing of before the reset reaches a
   * receiver after it.
   */
  async reset(): Promise<void> {
    this.cancelTimers();
    await Promise.allSettled([...this.inFlight]);
    this.settings = { ...this.initialSettings };
    this.sendgridMessages = [];
    this.twilioMessages = [];
    this.fcmMessages = [];
    this.webhooks = [];
    this.faults = [];
    this.invalidFcmTokens.clear();
    this.optOuts.clear();
    this.fcmCounter = 0;
  }

  /** Registers a webhook post under way until it settles (see `reset`); returns it. */
  track<T>(post: Promise<T>): Promise<T> {
    this.inFlight.add(post);
    void post.finally(() => this.inFlight.delete(post)).catch(() => undefined);
    return post;
  }

  /** The next FCM message number (for `projects/<id>/messages/<n>`). */
  nextFcmNumber(): number {
    this.fcmCounter += 1;
    return this.fcmCounter;
  }

  /** Records that `recipient` opted out of (`true`) or back into (`false`) messages from `sender`. */
  setOptOut(sender: string, recipient: string, optedOut: boolean): void {
    const key = `${sender}|${recipient}`;
    if (optedOut) this.optOuts.add(key);
    else this.optOuts.delete(key);
  }

  /** Whether `recipient` has opted out of any of `senders` (a number and/or a Messaging Service SID). */
  isOptedOut(senders: Array<string | null>, recipient: string): boolean {
    return senders.some((sender) => sender !== null && this.optOuts.has(`${sender}|${recipient}`));
  }

  /** The opted-out pairs, for the read API. */
  optOutList(): Array<{ sender: string; recipient: string }> {
    return [...this.optOuts].map((key) => {
      const [sender, recipient] = key.split('|');
      return { sender, recipient };
    });
  }

  /** Takes one call from the first fault injected for `provider`, or undefined when none is pending. */
  takeFault(provider: SandboxProvider): SandboxFault | undefined {
    const fault = this.faults.find((candidate) => candidate.provider === provider && candidate.remaining > 0);
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
    return fault;
  }

  /** Resolves true after `ms`, or false at once/early when the sandbox closes. */
  delay(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve(true);
        }, ms),
      };
      this.timers.add(entry);
    });
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops every pending timer (pending events are not posted). */
  close(): void {
    this.closed = true;
    this.cancelTimers();
  }

  private cancelTimers(): void {
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.resolve(false);
    }
    this.timers.clear();
  }
}
