import { Injectable } from '@nestjs/common';
import { generate, generateSecret, generateURI, verify } from 'otplib';

export const TOTP_PERIOD_SECONDS = 30;

export type TotpCheck = { valid: true; timeStep: number } | { valid: false; replay: boolean };

/**
 * TOTP (RFC 6238) with otplib 13: SHA-1, 6 digits, 30 s steps, 160-bit seeds. Accepts the current
 * step and one step back for transmission delay (never a future step), and refuses a step at or
 * before the last accepted one, so a code works once (RFC 6238 §5.2; ASVS 5.0 6.5.1).
 */
@Injectable()
export class TotpService {
  newSecret(): string {
    return generateSecret({ length: 20 });
  }

  uri(secret: string, accountEmail: string, issuer = 'Keyhouse'): string {
    return generateURI({ issuer, label: accountEmail, secret });
  }

  /** Current code of a secret (for tests and tools). `epochSeconds` defaults to now. */
  code(secret: string, epochSeconds?: number): Promise<string> {
    return generate({ secret, ...(epochSeconds === undefined ? {} : { epoch: epochSeconds }) });
  }

  async check(secret: string, code: string, lastTimeStep: number | null): Promise<TotpCheck> {
    if (!/^\d{6}$/.test(code)) return { valid: false, replay: false };
    const result = await verify({ secret, token: code, epochTolerance: [TOTP_PERIOD_SECONDS, 0] });
    if (!result.valid) return { valid: false, replay: false };
    const timeStep = (result as { timeStep: number }).timeStep;
    if (lastTimeStep !== null && timeStep <= lastTimeStep) return { valid: false, replay: true };
    return { valid: true, timeStep };
  }
}
