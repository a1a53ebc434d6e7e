import { Counter, register } from 'prom-client';
import { MetricsListener } from './metrics-listener.service';

describe('MetricsListener', () => {
  const counter = new Counter({ name: 'metrics_listener_spec_total', help: 'A counter for the spec.' });
  let listener: MetricsListener;
  let base: string;

  beforeAll(async () => {
    counter.inc(2);
    listener = new MetricsListener({ port: 0, host: '127.0.0.1' });
    await listener.onApplicationBootstrap();
    base = `http://127.0.0.1:${listener.address().port}`;
  });

  afterAll(async () => {
    await listener.onApplicationShutdown();
    register.removeSingleMetric('metrics_listener_spec_total');
  });

  describe('address', () => {
    it('gives the bound host and the port taken', () => {
      expect(listener.address()).toMatchObject({ address: '127.0.0.1', port: expect.any(Number) });
      expect(listener.address().port).toBeGreaterThan(0);
    });
  });

  describe('GET /metrics', () => {
    it('answers the default registry in Prometheus text format', async () => {
      const response = await fetch(`${base}/metrics?x=1`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(register.contentType);
      expect(await response.text()).toMatch(/^metrics_listener_spec_total 2$/m);
    });

    it('answers HEAD with the headers only', async () => {
      const response = await fetch(`${base}/metrics`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    });
  });

  describe('anything else', () => {
    it('answers 404 for another path and 405 for another method', async () => {
      expect((await fetch(`${base}/health/ready`)).status).toBe(404);
      expect((await fetch(`${base}/`)).status).toBe(404);
      const post = await fetch(`${base}/metrics`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    });
  });

  describe('start', () => {
    it('rejects with EADDRINUSE when the port is taken', async () => {
      const second = new MetricsListener({ port: listener.address().port, host: '127.0.0.1' });
      await expect(second.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(() => second.address()).toThrow('not listening');
    });
  });

  describe('stop', () => {
    it('closes the port, also with a kept-alive connection open', async () => {
      const other = new MetricsListener({ port: 0, host: '127.0.0.1' });
      await other.start();
      const url = `http://127.0.0.1:${other.address().port}/metrics`;
      expect((await fetch(url)).status).toBe(200);
      await other.stop();
      await expect(fetch(url)).rejects.toThrow();
      await other.stop();
    });
  });
});
