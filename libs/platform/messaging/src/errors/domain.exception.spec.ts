import type { RpcErrorBody } from '@keyhouse/contracts';
import { DomainException } from './domain.exception';

describe('DomainException', () => {
  it('is an Error named DomainException with the given message', () => {
    const error = new DomainException('conflict', 'EMAIL_TAKEN', 'This email is already used');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DomainException');
    expect(error.message).toBe('This email is already used');
  });

  describe('toBody', () => {
    it('returns kind, code and message only when there are no errors or details', () => {
      expect(new DomainException('conflict', 'EMAIL_TAKEN', 'taken').toBody()).toEqual({
        kind: 'conflict',
        code: 'EMAIL_TAKEN',
        message: 'taken',
      });
      expect(new DomainException('conflict', 'EMAIL_TAKEN', 'taken', []).toBody()).not.toHaveProperty('errors');
    });

    it('includes errors and details when they are present', () => {
      const body = new DomainException('too_many_requests', 'RATE_LIMITED', 'slow down', [{ field: 'x', message: 'y' }], {
        retryAfterSeconds: 9,
      }).toBody();
      expect(body).toEqual({
        kind: 'too_many_requests',
        code: 'RATE_LIMITED',
        message: 'slow down',
        errors: [{ field: 'x', message: 'y' }],
        details: { retryAfterSeconds: 9 },
      });
    });

    it('survives JSON serialization as a plain body', () => {
      const body = new DomainException('validation', 'VALIDATION_FAILED', 'bad', [
        { field: 'a.b', message: 'required', code: 'required' },
      ]).toBody();
      expect(JSON.parse(JSON.stringify(body))).toEqual(body);
    });
  });

  describe('fromBody', () => {
    it.each<RpcErrorBody>([
      { kind: 'not_found', code: 'USER_NOT_FOUND', message: 'User not found' },
      {
        kind: 'validation',
        code: 'VALIDATION_FAILED',
        message: 'bad',
        errors: [{ field: 'email', message: 'invalid', code: 'invalid_string' }],
      },
      { kind: 'unavailable', code: 'SERVICE_UNAVAILABLE', message: 'down', details: { service: 'identity' } },
    ])('rebuilds an exception whose body equals the original when given %j', (body) => {
      const error = DomainException.fromBody(body);
      expect(error).toBeInstanceOf(DomainException);
      expect(error.kind).toBe(body.kind);
      expect(error.code).toBe(body.code);
      expect(error.message).toBe(body.message);
      expect(error.toBody()).toEqual(body);
    });

    it('round-trips an exception through its body when sent over the wire', () => {
      const original = new DomainException('forbidden', 'NOT_OWNER', 'Not yours', undefined, { ownerId: 'u-2' });
      const copy = DomainException.fromBody(JSON.parse(JSON.stringify(original.toBody())) as RpcErrorBody);
      expect(copy.toBody()).toEqual(original.toBody());
      expect(copy.details).toEqual({ ownerId: 'u-2' });
    });
  });

  describe('notFound', () => {
    it('builds a not_found exception naming what was missing', () => {
      expect(DomainException.notFound('LISTING_NOT_FOUND', 'Listing').toBody()).toEqual({
        kind: 'not_found',
        code: 'LISTING_NOT_FOUND',
        message: 'Listing not found',
      });
    });
  });

  describe('forbidden', () => {
    it('uses the FORBIDDEN code and a generic message when called without arguments', () => {
      const error = DomainException.forbidden();
      expect(error.kind).toBe('forbidden');
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message.length).toBeGreaterThan(0);
    });

    it('uses the given code and message when provided', () => {
      expect(DomainException.forbidden('NOT_TEAM_MEMBER', 'Not in this team').toBody()).toEqual({
        kind: 'forbidden',
        code: 'NOT_TEAM_MEMBER',
        message: 'Not in this team',
      });
    });
  });

  describe('validation', () => {
    it('builds a validation exception carrying the field errors', () => {
      const errors = [{ field: 'price', message: 'must be positive' }];
      const error = DomainException.validation(errors);
      expect(error.kind).toBe('validation');
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.errors).toEqual(errors);
      expect(DomainException.validation(errors, 'PRICE_INVALID').code).toBe('PRICE_INVALID');
    });
  });
});
