import { loadConfig } from '@keyhouse/platform/config';
import { DEFAULT_METRICS_PORT, gatewayEnv, metricsListenerOptions } from './gateway.config';

describe('metricsListenerOptions', () => {
  const options = (env: NodeJS.ProcessEnv) => metricsListenerOptions(loadConfig(gatewayEnv, env));

  it('listens on loopback port 9464 by default', () => {
    expect(DEFAULT_METRICS_PORT).toBe(9464);
    expect(options({})).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('takes METRICS_PORT and METRICS_HOST from the environment', () => {
    expect(options({ METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0' })).toEqual({ host: '0.0.0.0', port: 9100 });
  });

  it('takes any free port when PORT is 0 and METRICS_PORT is unset or blank', () => {
    expect(options({ PORT: '0' }).port).toBe(0);
    expect(options({ PORT: '0', METRICS_PORT: ' ' }).port).toBe(0);
    expect(options({ PORT: '0', METRICS_PORT: '9500' }).port).toBe(9500);
  });

  it('refuses a METRICS_PORT that is not a port number', () => {
    expect(() => loadConfig(gatewayEnv, { METRICS_PORT: 'nine' })).toThrow(/METRICS_PORT is "nine": expected a TCP port number/);
  });
});
