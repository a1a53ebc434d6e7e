import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  ACCESS_TOKEN_TTL_SECONDS,
  ACCESS_TOKEN_TYPE,
} from './access-token.constant';

describe('access token profile', () => {
  it('uses ES256 and the RFC 9068 at+jwt type when signing and verifying', () => {
    expect(ACCESS_TOKEN_ALGORITHM).toBe('ES256');
    expect(ACCESS_TOKEN_TYPE).toBe('at+jwt');
  });

  it('names the identity service as issuer and the API as audience', () => {
    expect(ACCESS_TOKEN_ISSUER).toBe('keyhouse-identity');
    expect(ACCESS_TOKEN_AUDIENCE).toBe('keyhouse-api');
  });

  it('lives 15 minutes', () => {
    expect(ACCESS_TOKEN_TTL_SECONDS).toBe(900);
  });
});
