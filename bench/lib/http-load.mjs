import http from 'node:http';

/**
 * A fixed number of GET requests over keep-alive connections, `concurrency` in flight at a time
 * (a closed loop, like wrk, but counted in requests rather than seconds, so the per-request cost
 * of a server is its CPU or instruction count divided by an exact number). Reuse the same `agent`
 * for warm-up and measurement so that no connection is opened inside the measured window.
 *
 * Resolves with `{ requests, ok, failed, firstError, seconds }`; every non-200 answer counts as failed.
 */
export async function driveRequests({ url, headers = {}, total, concurrency, agent, timeoutMs = 120_000 }) {
  const target = new URL(url);
  let issued = 0;
  let ok = 0;
  let failed = 0;
  let firstError = null;
  const started = performance.now();
  const once = () =>
    new Promise((resolve) => {
      const request = http.get(
        { host: target.hostname, port: target.port, path: target.pathname + target.search, headers, agent, timeout: timeoutMs },
        (response) => {
          response.on('data', () => {});
          response.on('end', () => {
            if (response.statusCode === 200) ok += 1;
            else {
              failed += 1;
              firstError ??= `HTTP ${response.statusCode}`;
            }
            resolve();
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error) => {
        failed += 1;
        firstError ??= error.message;
        resolve();
      });
    });
  const worker = async () => {
    while (issued < total) {
      issued += 1;
      await once();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { requests: total, ok, failed, firstError, seconds: (performance.now() - started) / 1000 };
}

/** The keep-alive agent for `driveRequests` (one per server under test). */
export function keepAliveAgent(concurrency) {
  return new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}
