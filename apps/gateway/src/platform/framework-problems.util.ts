import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PlatformErrorCode, PROBLEM_CONTENT_TYPE, problemWithStatus, type ProblemDetails } from '@keyhouse/platform/messaging';

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route or hook runs —
 * a URL that cannot be decoded (`FST_ERR_BAD_URL`, 400) and a path parameter longer than
 * `maxParamLength` (`FST_ERR_MAX_PARAM_LENGTH`, 414) — answered as RFC 9457 problem details like
 * every other error, instead of Fastify's own JSON. Returns the problem to send (its `status` is
 * the HTTP status).
 */
export function frameworkErrorProblem(error: Error & { code?: string }, url: string): ProblemDetails {
  return error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? problemWithStatus(414, { code: 'URI_TOO_LONG', message: 'A path segment of the URL is longer than allowed' }, pathOf(url))
    : problemWithStatus(
        400,
        { code: PlatformErrorCode.ValidationFailed, message: 'The URL is not valid (it must be percent-encoded UTF-8)' },
        pathOf(url),
      );
}

/**
 * The HTTP server's `clientError` handler (Fastify's `clientErrorHandler` option), for requests
 * Node's parser refuses before Fastify sees them: headers over `--max-http-header-size` (431),
 * a request not received in time (408), anything else malformed (400). Writes a complete
 * problem-details response on the raw socket and closes it, as Node's default handler does with
 * a bare status line (https://nodejs.org/api/http.html#event-clienterror).
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem: ProblemDetails =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? problemWithStatus(431, { code: 'HEADERS_TOO_LARGE', message: 'The request headers are larger than allowed' })
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problemWithStatus(408, { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time' })
        : problemWithStatus(400, { code: 'MALFORMED_REQUEST', message: 'The request is not valid HTTP' });
  const body = JSON.stringify(problem);
  const headers = Object.entries({ ...problemHeaders(body), Connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${problem.status} ${problem.title}\r\n${headers.join('')}\r\n${body}`);
}

/** The headers every problem written outside Fastify's reply carries (the API's no-store and nosniff). */
function problemHeaders(body: string): Record<string, string> {
  return {
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** Writes `problem` as the whole response on Node's `ServerResponse` (status from the problem). */
export function writeProblem(response: ServerResponse, problem: ProblemDetails): void {
  const body = JSON.stringify(problem);
  response.writeHead(problem.status, problemHeaders(body));
  response.end(body);
}

/** The path of a request URL, without its query string (which may be what made it invalid). */
function pathOf(url: string): string {
  const end = url.indexOf('?');
  return (end === -1 ? url : url.slice(0, end)).slice(0, 200);
}
