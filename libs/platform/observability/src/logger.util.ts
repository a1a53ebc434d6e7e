import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
/**
 * JSON logger (pino) for a service. Every line carries `service`; a line about a request adds
 * its `requestId` and `traceId` itself (`requestLogFields`, docs/adr/0025). Credentials are
 * redacted wherever they appear in logged objects.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: {
      paths: [
        'password',
        '*.password',
        'newPassword',
        '*.newPassword',
        'refreshToken',
        '*.refreshToken',
        'accessToken',
        '*.accessToken',
        'headers.authorization',
        'headers["x-api-key"]',
        'req.headers.authorization',
        'req.headers["x-api-key"]',
      ],
      censor: '[redacted]',
    },
  });
}

/** Routes Nest's own logging to pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (message instanceof Error) {
      this.logger[level]({ err: message, context }, message.message);
      return;
    }
    if (message !== null && typeof message === 'object') {
      const { msg, ...fields } = message as Record<string, unknown>;
      const text = typeof msg === 'string' ? msg : typeof rest[0] === 'string' && rest[0] !== context ? rest[0] : undefined;
      this.logger[level]({ ...fields, context }, text);
      return;
    }
    this.logger[level]({ context }, String(message));
  }
}
