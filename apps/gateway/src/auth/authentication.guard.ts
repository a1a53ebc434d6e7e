import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Actor } from '@keyhouse/contracts';
import { InvalidAccessTokenError } from '@keyhouse/platform/auth';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { TokenAuthenticationService } from './token-authentication.service';

/**
 * Attaches the caller's `Actor` to the request from `Authorization: Bearer <access token>` or
 * `X-Api-Key`. Presented credentials must be valid (401 otherwise), even on public routes; absent
 * credentials are left for the permission guard to judge.
 */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(private readonly authentication: TokenAuthenticationService) {}

  /** Synchronous for a bearer token verified before (the common case); a promise otherwise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && authorization.length > 0) {
      const client = clientOf(request);
      // A token in the verified cache passed the format check below when it was first seen.
      if (authorization.startsWith('Bearer ')) {
        let actor: Actor | null;
        try {
          actor = this.authentication.authenticateBearerCached(authorization.slice(7), client);
        } catch (error) {
          throw invalidToken(error);
        }
        if (actor) {
          request.actor = actor;
          return true;
        }
      }
      const match = BEARER.exec(authorization);
      if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>"');
      return this.authentication.authenticateBearer(match[1], client).then(
        (actor) => {
          request.actor = actor;
          return true;
        },
        (error: unknown) => {
          throw invalidToken(error);
        },
      );
    }
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.length > 0) {
      if (apiKey.length > 200) throw unauthenticated('The API key is not valid');
      return this.authentication.authenticateApiKey(apiKey, clientOf(request)).then((actor) => {
        request.actor = actor;
        return true;
      });
    }
    return true;
  }
}

function clientOf(request: GatewayRequest): { ip: string; userAgent: string | undefined } {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : undefined };
}

function invalidToken(error: unknown): unknown {
  return error instanceof InvalidAccessTokenError ? unauthenticated('The access token is invalid or expired') : error;
}

function unauthenticated(message: string): DomainException {
  return new DomainException('unauthenticated', PlatformErrorCode.Unauthenticated, message);
}
