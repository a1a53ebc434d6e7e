import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsNotEmpty, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

/** Passwords are checked for length (8–128) and commonness by identity; here only their shape. */
const PASSWORD_MAX = 128;

export class RegisterDto {
  @ApiProperty({ type: String, example: 'Evergreen Realty', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  organizationName: string;

  @ApiProperty({ type: String, example: 'Dana Owner', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ type: String, example: 'dana@evergreen.example', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ type: String, minLength: 8, maxLength: PASSWORD_MAX, description: '8 to 128 characters, not a common password' })
  @IsString()
  @MaxLength(PASSWORD_MAX * 4)
  password: string;
}

export class LoginDto {
  @ApiProperty({ type: String, example: 'dana@evergreen.example' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  email: string;

  @ApiProperty({ type: String })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX * 4)
  password: string;

  @ApiPropertyOptional({
    type: String,
    description:
      'The token of the sign-in link emailed when sign-ins to the account are throttled: the password is then checked at once. Single use.',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  unlockToken?: string;
}

export class MfaVerifyDto {
  @ApiProperty({ type: String, description: 'The `mfaToken` returned by login' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  mfaToken: string;

  @ApiProperty({ type: String, example: '123456', description: 'A six-digit TOTP code or a recovery code' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code: string;
}

export class RefreshDto {
  @ApiProperty({ type: String })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ type: String, description: 'Ends this refresh token’s session; without it, the session of the access token' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class PasswordResetRequestDto {
  @ApiProperty({ type: String, example: 'dana@evergreen.example' })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class PasswordResetConfirmDto {
  @ApiProperty({ type: String, description: 'Token from the reset or invitation email' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token: string;

  @ApiProperty({ type: String, minLength: 8, maxLength: PASSWORD_MAX })
  @IsString()
  @MaxLength(PASSWORD_MAX * 4)
  newPassword: string;
}

export class PasswordChangeDto {
  @ApiProperty({ type: String })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX * 4)
  currentPassword: string;

  @ApiProperty({ type: String, minLength: 8, maxLength: PASSWORD_MAX })
  @IsString()
  @MaxLength(PASSWORD_MAX * 4)
  newPassword: string;

  @ApiPropertyOptional({ type: Boolean, default: true, description: 'End every other session of this user' })
  @IsOptional()
  @IsBoolean()
  logoutOtherSessions?: boolean;
}

export class EmailVerifyDto {
  @ApiProperty({ type: String })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token: string;
}

export class MfaCodeDto {
  @ApiProperty({ type: String, example: '123456', description: 'A current six-digit TOTP code' })
  @IsString()
  @Length(6, 6)
  @Matches(/^\d{6}$/, { message: 'code must be six digits' })
  code: string;
}

export class TokenPairDto {
  @ApiProperty({ type: String }) accessToken: string;
  @ApiProperty({ type: String }) refreshToken: string;
  @ApiProperty({ type: Number, description: 'Access token lifetime in seconds', example: 900 }) expiresIn: number;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiPropertyOptional({ type: Boolean, description: 'Set when 2FA enrolment is required before the tokens carry permissions' })
  mfaEnrollmentRequired?: boolean;
}

export class MfaChallengeDto {
  @ApiProperty({ enum: [true] }) mfaRequired: true;
  @ApiProperty({ type: String, description: 'Exchange with a TOTP code at POST /v1/auth/mfa/verify within 5 minutes' }) mfaToken: string;
}

export class MfaEnrollmentDto {
  @ApiProperty({ type: String, description: 'Base32 TOTP secret, shown once' }) secret: string;
  @ApiProperty({ type: String, example: 'otpauth://totp/Keyhouse:dana%40evergreen.example?secret=...' }) otpauthUri: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'Ten single-use recovery codes, shown once' }) recoveryCodes: string[];
}
