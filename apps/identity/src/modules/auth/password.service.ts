import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { DomainException } from '@keyhouse/platform/messaging';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import { IdentityErrorCode } from '../../identity.exception';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Common passwords refused by the policy: every entry of zxcvbn-ts's frequency-ordered list
 * of leaked passwords that is long enough to pass the length rule (ASVS 5.0 6.2.4 asks for at least
 * the top 3 000), lower-cased.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  (dictionary['passwords-common'] as string[]).filter((word) => word.length >= 8).map((word) => word.toLowerCase()),
);

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Password hashing with argon2id at the OWASP Password Storage Cheat Sheet minimum
 * (m = 19 MiB, t = 2, p = 1, configurable upwards), and the policy of OWASP ASVS 5.0 V6.2:
 * 8 to 128 characters, any characters, no composition rules, not a well-known password and not
 * the account's email. Verification of an unknown account runs against a dummy hash so that it
 * costs the same time (no user enumeration by timing).
 */
@Injectable()
export class PasswordService {
  private dummyHash: Promise<string> | null = null;

  constructor(@Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig) {}

  private get options(): argon2.Options & { raw?: false } {
    return {
      type: argon2.argon2id,
      memoryCost: this.config.IDENTITY_ARGON2_MEMORY_KIB,
      timeCost: this.config.IDENTITY_ARGON2_TIME_COST,
      parallelism: 1,
    };
  }

  /** Throws a 400 `WEAK_PASSWORD` naming `field` when the password breaks the policy. */
  assertAcceptable(password: string, email: string | undefined, field = 'password'): void {
    const problem = this.policyProblem(password, email);
    if (problem) {
      throw new DomainException('validation', IdentityErrorCode.WeakPassword, problem, [{ field, message: problem }]);
    }
  }

  policyProblem(password: string, email?: string): string | null {
    const length = [...password].length;
    if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
    if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
    const lowered = password.toLowerCase();
    if (COMMON_PASSWORDS.has(lowered)) return 'is too common; choose a less guessable password';
    if (email && lowered === email.toLowerCase()) return 'must not be your email address';
    return null;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** True when `password` matches. `hash` null means no account: a dummy hash is verified instead. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    if (!hash) {
      this.dummyHash ??= this.hash('dummy-password-for-timing');
      await argon2.verify(await this.dummyHash, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }

  /** True when the stored hash uses weaker parameters than the current ones (re-hash at login). */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
