/**
 * The services' benchmarks talk to the gateway's public HTTP API through this one client.
 */

/**
 * A caller of `base` routes: `api(base, method, route, body?, token?, contentType = 'application/json')`
 * sends `body` (JSON-encoded for JSON, as it is otherwise) with the bearer `token` and resolves
 * with `{ status, body, bytes }`: the parsed JSON, or the text when the answer is not JSON (a CSV or
 * PDF download), and its size in bytes. Each call gives up after `timeoutMs`.
 */
export function apiClient({ timeoutMs }) {
  return async function api(base, method, route, body, token, contentType = 'application/json') {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: a file download
    }
    return { status: response.status, body: parsed, bytes: Buffer.byteLength(text) };
  };
}

/** The body of a successful answer (`expected` statuses, else any 2xx); throws with the status and the start of the body otherwise. */
export function ok(response, what, expected) {
  const good = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!good) throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
  return response.body;
}
