import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorKind, RpcErrorBody } from '@keyhouse/contracts';
import { requestLogFields } from '@keyhouse/platform/observability';
import { databaseUnavailable, isDatabaseOutage } from './database-outage.util';
import { DomainException, PlatformErrorCode } from './domain.exception';
import { PROBLEM_CONTENT_TYPE, toProblemDetails } from './problem-details.util';

type HttpRequest = FastifyRequest & { requestId?: string; traceparent?: string };

const STATUS_KIND: Record<number, ErrorKind> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'validation',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
  504: 'timeout',
};

/**
 * Turns every error of an HTTP route (the gateway's API, a service's health and operator routes)
 * into RFC 9457 problem details (`application/problem+json`) with a stable
 * `code`: service `DomainException`s by their kind, framework errors (unknown route, malformed
 * JSON, oversized body, unsupported media type) by status, anything else as a generic 500 that
 * is logged with its stack but never shows it.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<HttpRequest>();
    const reply = context.getResponse<FastifyReply>();
    const body = this.toBody(exception, request);
    const problem = toProblemDetails(body, request.url, request.requestId);
    if (typeof body.details?.retryAfterSeconds === 'number') {
      void reply.header('Retry-After', String(Math.max(1, Math.ceil(body.details.retryAfterSeconds))));
    }
    void reply.status(problem.status).header('Content-Type', PROBLEM_CONTENT_TYPE).send(problem);
  }

  toBody(exception: unknown, request: HttpRequest): RpcErrorBody {
    if (exception instanceof DomainException) return exception.toBody();
    if (isDatabaseOutage(exception)) return databaseUnavailable().toBody();
    const status = statusOf(exception);
    if (status !== undefined && status < 500) {
      return {
        kind: STATUS_KIND[status] ?? 'validation',
        code: frameworkCode(exception, status),
        message: frameworkMessage(exception, status),
      };
    }
    // the ids come from the request: no AsyncLocalStorage holds them (docs/adr/0025)
    this.logger.error(
      {
        err: exception,
        url: request.url,
        method: request.method,
        ...(request.requestId ? requestLogFields({ requestId: request.requestId, traceparent: request.traceparent }) : {}),
      },
      `Unhandled error: ${(exception as Error)?.message ?? String(exception)}`,
    );
    return { kind: 'internal', code: PlatformErrorCode.Internal, message: 'An unexpected error occurred' };
  }
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function frameworkCode(exception: unknown, status: number): string {
  const code = (exception as { code?: unknown } | null)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return PlatformErrorCode.PayloadTooLarge;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return PlatformErrorCode.MalformedJson;
  if (status === 400 && (exception instanceof SyntaxError || /JSON/i.test(String((exception as Error)?.message)))) {
    return PlatformErrorCode.MalformedJson;
  }
  if (status === 404) return PlatformErrorCode.NotFound;
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 401) return PlatformErrorCode.Unauthenticated;
  if (status === 403) return PlatformErrorCode.Forbidden;
  return PlatformErrorCode.ValidationFailed;
}

function frameworkMessage(exception: unknown, status: number): string {
  switch (frameworkCode(exception, status)) {
    case PlatformErrorCode.PayloadTooLarge:
      return 'The request body is larger than allowed';
    case PlatformErrorCode.MalformedJson:
      return 'The request body is not valid JSON';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'Send the request body as application/json';
    case PlatformErrorCode.NotFound:
      return 'No such resource';
    default:
      return exception instanceof HttpException ? exception.message : 'The request is not valid';
  }
}
