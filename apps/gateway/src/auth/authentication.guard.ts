import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { InvalidAccessTokenError } from '@keyhouse/platform/auth';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request';
import { TokenAuthenticationService } from './token-authentication.service';

/**
 * Attaches the caller's `Actor` to the request from `Authorization: Bearer <access token>` or
 * `X-Api-Key`. Presented credentials must be valid (401 otherwise), even on public routes; absent
 * credentials are left for the permission guard to judge.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(private readonly authentication: TokenAuthenticationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const authorization = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    const agent = request.headers['user-agent'];
    const client = { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : undefined };
    if (typeof authorization === 'string' && authorization.length > 0) {
      const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization);
      if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>"');
      try {
        request.actor = await this.authentication.authenticateBearer(match[1], client);
      } catch (error) {
        if (error instanceof InvalidAccessTokenError) throw unauthenticated('The access token is invalid or expired');
        throw error;
      }
      return true;
    }
    if (typeof apiKey === 'string' && apiKey.length > 0) {
      if (apiKey.length > 200) throw unauthenticated('The API key is not valid');
      request.actor = await this.authentication.authenticateApiKey(apiKey, client);
    }
    return true;
  }
}

function unauthenticated(message: string): DomainException {
  return new DomainException('unauthenticated', PlatformErrorCode.Unauthenticated, message);
}
