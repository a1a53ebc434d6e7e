import { Inject, Injectable, Logger } from '@nestjs/common';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { DomainException } from '@keyhouse/platform/messaging';
import { LISTINGS_CONFIG, type ListingsConfig } from '../../config/listings.config';
import { ListingsErrorCode } from '../../listings.exception';
import { bareHostname, sourceUrlProblem, type MlsSourcePolicy } from './mls-source-address.util';

/** Injection token of the `MlsSourcePolicy` the service applies (`mlsSourcePolicy(LISTINGS_MLS_ALLOW_PRIVATE_SOURCES)`). */
export const MLS_SOURCE_POLICY = Symbol('MLS_SOURCE_POLICY');
/** Redirects followed for one page at most. */
export const MLS_MAX_REDIRECTS = 5;
/** Largest page body accepted, in bytes after decoding (a page of 1 000 RESO records is a few MiB). */
export const MLS_MAX_PAGE_BYTES = 64 * 1024 * 1024;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const PUBLIC_ONLY = 'must resolve to public addresses only (private, loopback, link-local and reserved ranges are refused)';

/**
 * Why an MLS request was refused or failed, in words that may be kept on a run record and shown
 * to the organization: they name no resolved address or port and repeat nothing the server sent
 * but its HTTP status. `rule` is set when the URL itself was refused (the field message at save time).
 */
export class MlsFetchError extends Error {
  constructor(
    message: string,
    readonly rule?: string,
  ) {
    super(message);
    this.name = 'MlsFetchError';
  }
}

const refused = (rule: string, message = `Refused to request the MLS source: its URL ${rule}`) => new MlsFetchError(message, rule);

/** `raw` (absolute, or relative to `base`) as a URL. @throws MlsFetchError when it is not one. */
export function parseMlsUrl(raw: string, base?: URL | string): URL {
  try {
    return new URL(raw, base);
  } catch {
    throw refused('must be an absolute URL', 'The MLS source sent a URL that does not parse');
  }
}

interface HopResponse {
  status: number;
  location: string | undefined;
  body: Buffer;
}

/**
 * HTTP to MLS sources (RESO Web API) under an `MlsSourcePolicy`: by default https only, and only
 * to hosts whose every address is public (see `isPublicAddress`). The check runs when a source is
 * saved (`assertAllowedSourceUrl`) and again on every request and every redirect of a pull
 * (`getJson`), since DNS answers and stored rows change: the host is resolved, every address is
 * checked, and the connection goes to the address that was checked — no second lookup. Failures
 * surface as `MlsFetchError` with words safe to keep on a run; details go to the service log only.
 */
@Injectable()
export class MlsHttpService {
  private readonly logger = new Logger(MlsHttpService.name);

  constructor(
    @Inject(LISTINGS_CONFIG) private readonly config: Pick<ListingsConfig, 'LISTINGS_MLS_HTTP_TIMEOUT_MS'>,
    @Inject(MLS_SOURCE_POLICY) private readonly policy: MlsSourcePolicy,
  ) {}

  /**
   * Save-time check of a source's service root: an absolute URL with an allowed scheme (https),
   * no credentials, and a host that resolves, to allowed (public) addresses only. Resolves within
   * LISTINGS_MLS_HTTP_TIMEOUT_MS.
   * @throws DomainException 400 `MLS_SOURCE_URL_NOT_ALLOWED` with a `baseUrl` field error.
   */
  async assertAllowedSourceUrl(baseUrl: string): Promise<void> {
    try {
      await this.target(parseMlsUrl(baseUrl), AbortSignal.timeout(this.config.LISTINGS_MLS_HTTP_TIMEOUT_MS));
    } catch (error) {
      if (!(error instanceof MlsFetchError)) throw error;
      throw new DomainException('validation', ListingsErrorCode.MlsSourceUrlNotAllowed, 'The MLS source URL is not allowed', [
        { field: 'baseUrl', message: error.rule ?? error.message },
      ]);
    }
  }

  /**
   * GETs `url` (`Accept: application/json`) and answers its parsed JSON body. Redirects are
   * followed by hand, at most MLS_MAX_REDIRECTS, each hop checked like the first;
   * `Authorization: Bearer <token>` goes only to requests on `tokenOrigin` (the source's origin).
   * The whole exchange, redirects included, has LISTINGS_MLS_HTTP_TIMEOUT_MS; the body at most
   * MLS_MAX_PAGE_BYTES (gzip, deflate and br are decoded).
   * @throws MlsFetchError refused URL or address, unresolvable host, unreachable source, timeout,
   *   non-2xx status, too many redirects, oversized or non-JSON body.
   */
  async getJson(url: string, token: string, tokenOrigin: string): Promise<unknown> {
    const signal = AbortSignal.timeout(this.config.LISTINGS_MLS_HTTP_TIMEOUT_MS);
    let target = parseMlsUrl(url);
    for (let redirects = 0; ; redirects += 1) {
      const response = await this.get(target, target.origin === tokenOrigin ? token : null, signal);
      if (REDIRECT_STATUSES.has(response.status)) {
        if (redirects >= MLS_MAX_REDIRECTS) throw new MlsFetchError(`The MLS source redirected more than ${MLS_MAX_REDIRECTS} times`);
        if (!response.location) throw new MlsFetchError(`MLS answered ${response.status} without a Location`);
        target = parseMlsUrl(response.location, target);
        continue;
      }
      if (response.status < 200 || response.status > 299) throw new MlsFetchError(`MLS answered ${response.status} for ${target.pathname}`);
      try {
        return JSON.parse(response.body.toString('utf8'));
      } catch {
        throw new MlsFetchError('MLS page is not valid JSON');
      }
    }
  }

  /** One GET of one hop, connected to the checked address; a body is read for 2xx answers only. */
  private async get(url: URL, token: string | null, signal: AbortSignal): Promise<HopResponse> {
    const pinned = await this.target(url, signal);
    try {
      return await new Promise<HopResponse>((resolve, reject) => {
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const request = send(
          url,
          {
            method: 'GET',
            // A fresh connection per request: a pooled socket would be tied to an earlier check.
            agent: false,
            signal,
            headers: {
              accept: 'application/json',
              'accept-encoding': 'gzip, deflate, br',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            ...(pinned ? { lookup: pinnedLookup(pinned) } : {}),
          },
          (response) => {
            const status = response.statusCode ?? 0;
            if (status < 200 || status > 299) {
              response.resume();
              resolve({ status, location: response.headers.location, body: Buffer.alloc(0) });
              return;
            }
            readBody(response).then((body) => resolve({ status, location: undefined, body }), reject);
          },
        );
        request.on('error', reject);
        request.end();
      });
    } catch (error) {
      if (error instanceof MlsFetchError) throw error;
      this.logger.warn({ host: url.host, err: (error as Error).message }, 'MLS request failed');
      if (signal.aborted) throw new MlsFetchError(`The MLS source did not answer within ${this.config.LISTINGS_MLS_HTTP_TIMEOUT_MS} ms`);
      if (/CERT|SSL|TLS/.test(String((error as NodeJS.ErrnoException).code ?? '')))
        throw new MlsFetchError('The TLS certificate of the MLS source was not accepted');
      throw new MlsFetchError('Could not reach the MLS source');
    }
  }

  /**
   * Checks `url` against the policy and answers the addresses to connect to: every address of its
   * host must be allowed (an IP literal is its own address). Null when the policy allows any
   * address (the system resolver then answers). @throws MlsFetchError
   */
  private async target(url: URL, signal: AbortSignal): Promise<LookupAddress[] | null> {
    const problem = sourceUrlProblem(url, this.policy);
    if (problem) throw refused(problem);
    const allows = this.policy.allowsAddress;
    if (!allows) return null;
    const host = bareHostname(url);
    const family = isIP(host);
    const addresses = family ? [{ address: host, family }] : await this.resolve(host, signal);
    if (addresses.length === 0 || !addresses.every((a) => allows(a.address))) throw refused(PUBLIC_ONLY);
    return addresses;
  }

  /** Every address of `hostname` as the system resolver answers it (hosts file included). @throws MlsFetchError */
  private async resolve(hostname: string, signal: AbortSignal): Promise<LookupAddress[]> {
    try {
      return await abortable(lookup(hostname, { all: true, verbatim: true }), signal);
    } catch (error) {
      this.logger.warn({ hostname, err: (error as Error).message }, 'MLS source host did not resolve');
      if (signal.aborted) throw new MlsFetchError(`The MLS source did not answer within ${this.config.LISTINGS_MLS_HTTP_TIMEOUT_MS} ms`);
      throw refused('must have a host name that resolves', 'The host name of the MLS source does not resolve');
    }
  }
}

/**
 * A `lookup` for `net.connect` that answers the addresses already checked instead of asking DNS
 * again, in either calling form (`all`: every one, for happy eyeballs; else the first).
 */
function pinnedLookup(pinned: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, pinned);
    else callback(null, pinned[0].address, pinned[0].family);
  };
}

/** The decoded body of `response`, at most MLS_MAX_PAGE_BYTES. @throws MlsFetchError (encoding, size) or the stream's error. */
async function readBody(response: IncomingMessage): Promise<Buffer> {
  const encoding = String(response.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const decoders: Record<string, () => Transform> = {
    gzip: createGunzip,
    'x-gzip': createGunzip,
    deflate: createInflate,
    br: createBrotliDecompress,
  };
  if (encoding !== 'identity' && !decoders[encoding]) {
    response.destroy();
    throw new MlsFetchError('MLS page has an unsupported Content-Encoding');
  }
  let stream: AsyncIterable<Buffer> = response;
  if (encoding !== 'identity') {
    const decoder = decoders[encoding]();
    response.on('error', (error) => decoder.destroy(error));
    stream = response.pipe(decoder);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > MLS_MAX_PAGE_BYTES) {
        response.destroy();
        throw new MlsFetchError(`MLS page is larger than ${MLS_MAX_PAGE_BYTES / (1024 * 1024)} MiB`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (String((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw new MlsFetchError('MLS page could not be decoded');
    throw error;
  }
  return Buffer.concat(chunks);
}

/** `promise`, or the signal's reason once it aborts first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
