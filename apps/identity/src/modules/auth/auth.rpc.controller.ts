import { Controller } from '@nestjs/common';
import {
  IdentityAuthSubjects as S,
  type ApiKeyAuthenticateRequest,
  type LoginRequest,
  type MfaVerifyRequest,
  type PasswordChangeRequest,
  type PasswordResetConfirmRequest,
  type RefreshRequest,
  type RegisterClientRequest,
  type RegisterRequest,
  type RequestEnvelope,
  type RevocationsRequest,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuthService } from './auth.service';
import { MfaService } from './mfa.service';
import { RevocationService } from './revocation.service';
import { SigningKeyService } from './signing-key.service';

/** NATS responders for authentication subjects (`identity.auth.*`, `identity.mfa.*`). */
@Controller()
export class AuthRpcController {
  constructor(
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
    private readonly signingKeys: SigningKeyService,
    private readonly revocations: RevocationService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @RpcHandler(S.registerClient)
  registerClient(envelope: RequestEnvelope<RegisterClientRequest>) {
    return this.auth.registerClient(envelope);
  }

  @RpcHandler(S.register)
  register(envelope: RequestEnvelope<RegisterRequest>) {
    return this.auth.register(envelope);
  }

  @RpcHandler(S.login)
  login(envelope: RequestEnvelope<LoginRequest>) {
    return this.auth.login(envelope);
  }

  @RpcHandler(S.mfaVerify)
  mfaVerify(envelope: RequestEnvelope<MfaVerifyRequest>) {
    return this.auth.verifyMfa(envelope);
  }

  @RpcHandler(S.refresh)
  refresh(envelope: RequestEnvelope<RefreshRequest>) {
    return this.auth.refresh(envelope);
  }

  @RpcHandler(S.logout)
  logout(envelope: RequestEnvelope<{ refreshToken?: string }>) {
    return this.auth.logout(envelope);
  }

  @RpcHandler(S.passwordResetRequest)
  passwordResetRequest(envelope: RequestEnvelope<{ email: string }>) {
    return this.auth.requestPasswordReset(envelope);
  }

  @RpcHandler(S.passwordResetConfirm)
  passwordResetConfirm(envelope: RequestEnvelope<PasswordResetConfirmRequest>) {
    return this.auth.confirmPasswordReset(envelope);
  }

  @RpcHandler(S.passwordChange)
  passwordChange(envelope: RequestEnvelope<PasswordChangeRequest>) {
    return this.auth.changePassword(envelope);
  }

  @RpcHandler(S.emailVerify)
  emailVerify(envelope: RequestEnvelope<{ token: string }>) {
    return this.auth.verifyEmail(envelope);
  }

  @RpcHandler(S.jwks)
  jwks() {
    return this.signingKeys.jwks();
  }

  @RpcHandler(S.revocations)
  async revocationsSince(envelope: RequestEnvelope<RevocationsRequest>) {
    return { revocations: await this.revocations.since(envelope.data.since) };
  }

  @RpcHandler(S.apiKeyAuthenticate)
  apiKeyAuthenticate(envelope: RequestEnvelope<ApiKeyAuthenticateRequest>) {
    return this.apiKeys.authenticate(envelope);
  }

  @RpcHandler(S.mfaEnroll)
  mfaEnroll(envelope: RequestEnvelope) {
    return this.mfa.enroll(envelope);
  }

  @RpcHandler(S.mfaConfirm)
  mfaConfirm(envelope: RequestEnvelope<{ code: string }>) {
    return this.mfa.confirm(envelope);
  }

  @RpcHandler(S.mfaDisable)
  mfaDisable(envelope: RequestEnvelope<{ code: string }>) {
    return this.mfa.disable(envelope);
  }

  @RpcHandler(S.mfaRecoveryCodes)
  mfaRecoveryCodes(envelope: RequestEnvelope<{ code: string }>) {
    return this.mfa.regenerateRecoveryCodes(envelope);
  }
}
