import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import {
  IdentityAuthSubjects as S,
  type JwksResponse,
  type LoginResponse,
  type MfaConfirmResponse,
  type MfaEnrollResponse,
  type MfaRecoveryCodesResponse,
  type RegisterResponse,
  type TokenPair,
} from '@keyhouse/contracts';
import { Authenticated, Public } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { RateLimit } from '../platform/rate-limit.guard';
import { GatewayRpc } from '../platform/rpc.service';
import {
  EmailVerifyDto,
  LoginDto,
  LogoutDto,
  MfaChallengeDto,
  MfaCodeDto,
  MfaEnrollmentDto,
  MfaVerifyDto,
  PasswordChangeDto,
  PasswordResetConfirmDto,
  PasswordResetRequestDto,
  RecoveryCodesDto,
  RefreshDto,
  RegisterDto,
  TokenPairDto,
} from './dto/auth.dto';

/** `/v1/auth/*`: registration, login, tokens, password, email verification and 2FA. */
@ApiTags('auth')
@ApiExtraModels(TokenPairDto, MfaChallengeDto)
@RateLimit('auth')
@Controller('auth')
export class AuthHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('register')
  @Public()
  @Idempotent()
  @ApiOperation({
    summary: 'Register a brokerage and its owner',
    description:
      'Returns the organization, the owner and a first session. An address that already has an account gets an answer of the same shape (whose tokens open nothing) and its owner an email: the answer never tells whether an address is registered.',
  })
  @ApiResponse({ status: 201, description: 'Created' })
  @ApiProblems(422)
  register(@Req() request: GatewayRequest, @Body() body: RegisterDto): Promise<RegisterResponse> {
    return this.rpc.call(S.register, request, { ...body, ...this.rpc.clientOf(request) });
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in with email and password',
    description:
      'Answers tokens, or `{mfaRequired, mfaToken}` when 2FA is on. The same 401 whether or not the email exists. 429 `ACCOUNT_LOCKED` (with Retry-After) after repeated failures for the address from this client IP, or, after failures from many IPs, until a growing delay has passed; the account owner is emailed a sign-in link whose `unlockToken` skips both.',
  })
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(TokenPairDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] } })
  @ApiProblems(401, 429)
  login(@Req() request: GatewayRequest, @Body() body: LoginDto): Promise<LoginResponse> {
    return this.rpc.call(S.login, request, { ...body, ...this.rpc.clientOf(request) });
  }

  @Post('mfa/verify')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second login step: exchange the mfaToken and a TOTP or recovery code for tokens',
    description:
      'After five wrong codes for the account within 15 minutes, on any challenge or route, every code is refused with 429 `MFA_LOCKED` (Retry-After).',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(401, 429)
  mfaVerify(@Req() request: GatewayRequest, @Body() body: MfaVerifyDto): Promise<TokenPair> {
    return this.rpc.call(S.mfaVerify, request, { ...body, ...this.rpc.clientOf(request) });
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description: 'Single use: presenting an already used refresh token ends the whole session (REFRESH_TOKEN_REUSED).',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(401)
  refresh(@Req() request: GatewayRequest, @Body() body: RefreshDto): Promise<TokenPair> {
    return this.rpc.call(S.refresh, request, { ...body, ...this.rpc.clientOf(request) });
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End a session: its refresh tokens and access tokens stop working' })
  @ApiResponse({ status: 204, description: 'Logged out' })
  @ApiProblems(401, 403)
  async logout(@Req() request: GatewayRequest, @Body() body: LogoutDto): Promise<void> {
    await this.rpc.call(S.logout, request, body);
  }

  @Post('password-reset/request')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Email a password reset link', description: 'Always 202, whether or not the address has an account.' })
  @ApiResponse({ status: 202, description: 'Accepted' })
  async passwordResetRequest(@Req() request: GatewayRequest, @Body() body: PasswordResetRequestDto): Promise<void> {
    await this.rpc.call(S.passwordResetRequest, request, body);
  }

  @Post('password-reset/confirm')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with a reset or invitation token; ends every session' })
  @ApiResponse({ status: 204, description: 'Password set' })
  async passwordResetConfirm(@Req() request: GatewayRequest, @Body() body: PasswordResetConfirmDto): Promise<void> {
    await this.rpc.call(S.passwordResetConfirm, request, body);
  }

  @Post('password/change')
  @Authenticated()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change the password (other sessions end unless logoutOtherSessions is false)' })
  @ApiResponse({ status: 204, description: 'Password changed' })
  @ApiProblems(401, 403)
  async passwordChange(@Req() request: GatewayRequest, @Body() body: PasswordChangeDto): Promise<void> {
    await this.rpc.call(S.passwordChange, request, body);
  }

  @Post('email/verify')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Confirm an email address with the token from the verification email' })
  @ApiResponse({ status: 204, description: 'Verified' })
  async emailVerify(@Req() request: GatewayRequest, @Body() body: EmailVerifyDto): Promise<void> {
    await this.rpc.call(S.emailVerify, request, body);
  }

  @Get('.well-known/jwks.json')
  @Public()
  @RateLimit('public')
  @ApiOperation({ summary: 'JSON Web Key Set of the access-token signing keys (RFC 7517)' })
  jwks(@Req() request: GatewayRequest): Promise<JwksResponse> {
    return this.rpc.call(S.jwks, request, {}, { retries: 1 });
  }

  @Post('mfa/enroll')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start TOTP enrolment: a secret and an otpauth:// URI for an authenticator app' })
  @ApiOkResponse({ type: MfaEnrollmentDto })
  @ApiProblems(401, 403, 409)
  mfaEnroll(@Req() request: GatewayRequest): Promise<MfaEnrollResponse> {
    return this.rpc.call(S.mfaEnroll, request, {});
  }

  @Post('mfa/confirm')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Confirm enrolment with a first code; returns ten recovery codes once' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(401, 403, 409)
  mfaConfirm(@Req() request: GatewayRequest, @Body() body: MfaCodeDto): Promise<MfaConfirmResponse> {
    return this.rpc.call(S.mfaConfirm, request, body);
  }

  @Post('mfa/disable')
  @Authenticated()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Turn 2FA off with a current code (refused when the organization requires it)',
    description: 'Wrong codes count against the account’s second-factor limit (429 `MFA_LOCKED`).',
  })
  @ApiResponse({ status: 204, description: 'Disabled' })
  @ApiProblems(401, 403, 409, 429)
  async mfaDisable(@Req() request: GatewayRequest, @Body() body: MfaCodeDto): Promise<void> {
    await this.rpc.call(S.mfaDisable, request, body);
  }

  @Post('mfa/recovery-codes')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Replace the recovery codes (needs a current code)',
    description: 'Wrong codes count against the account’s second-factor limit (429 `MFA_LOCKED`).',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(401, 403, 409, 429)
  mfaRecoveryCodes(@Req() request: GatewayRequest, @Body() body: MfaCodeDto): Promise<MfaRecoveryCodesResponse> {
    return this.rpc.call(S.mfaRecoveryCodes, request, body);
  }
}
