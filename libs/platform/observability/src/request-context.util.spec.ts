import { nextTraceparent, requestLogFields, traceIdOf } from './request-context.util';

/** W3C Trace Context version-00 traceparent: version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// Example from the W3C Trace Context recommendation, §3.2.2.
const W3C_EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const W3C_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function partsOf(traceparent: string): { traceId: string; spanId: string; flags: string } {
  const match = TRACEPARENT.exec(traceparent);
  if (!match) throw new Error(`not a traceparent: ${traceparent}`);
  return { traceId: match[1], spanId: match[2], flags: match[3] };
}

describe('nextTraceparent', () => {
  it('continues the incoming trace with a new 16-hex span id and the same flags when the header is valid', () => {
    const next = nextTraceparent(W3C_EXAMPLE);
    expect(next).toMatch(TRACEPARENT);
    const { traceId, spanId, flags } = partsOf(next);
    expect(traceId).toBe(W3C_TRACE_ID);
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(spanId).not.toBe('0000000000000000');
    expect(flags).toBe('01');
  });

  it('keeps unsampled flags when the incoming header is not sampled', () => {
    expect(partsOf(nextTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).flags).toBe('00');
  });

  it('picks a different span id on every call when continuing the same trace', () => {
    const spans = new Set(Array.from({ length: 200 }, () => partsOf(nextTraceparent(W3C_EXAMPLE)).spanId));
    expect(spans.size).toBe(200);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['garbage', 'not-a-traceparent'],
    ['upper-case hex', W3C_EXAMPLE.toUpperCase()],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['a short span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01'],
    ['a non-hex character', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
    ['an unknown version', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['extra trailing data', `${W3C_EXAMPLE}-extra`],
  ])('starts a new sampled trace when the incoming header is %s', (_label, incoming) => {
    const next = nextTraceparent(incoming);
    expect(next).toMatch(TRACEPARENT);
    const { traceId, spanId, flags } = partsOf(next);
    expect(traceId).not.toBe(W3C_TRACE_ID);
    expect(traceId).not.toMatch(/^0+$/);
    expect(spanId).not.toMatch(/^0+$/);
    expect(flags).toBe('01');
  });

  it('starts a new trace id when the incoming trace id is all zeros', () => {
    const next = nextTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01');
    expect(next).toMatch(TRACEPARENT);
    expect(partsOf(next).traceId).not.toMatch(/^0+$/);
  });

  it('starts different traces when called twice without a header', () => {
    expect(partsOf(nextTraceparent(undefined)).traceId).not.toBe(partsOf(nextTraceparent(undefined)).traceId);
  });
});

describe('traceIdOf', () => {
  it('returns the trace id when the traceparent is valid', () => {
    expect(traceIdOf(W3C_EXAMPLE)).toBe(W3C_TRACE_ID);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['malformed', '00-xyz-00f067aa0ba902b7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
  ])('returns undefined when the traceparent is %s', (_label, traceparent) => {
    expect(traceIdOf(traceparent)).toBeUndefined();
  });

  it('returns the trace id of a traceparent it made', () => {
    const made = nextTraceparent(undefined);
    expect(traceIdOf(made)).toBe(made.slice(3, 35));
  });
});

describe('requestLogFields', () => {
  it('gives the request id and the trace id of a valid traceparent', () => {
    expect(requestLogFields({ requestId: 'req-1', traceparent: W3C_EXAMPLE })).toEqual({ requestId: 'req-1', traceId: W3C_TRACE_ID });
  });

  it('gives the request id alone without a valid trace context', () => {
    expect(requestLogFields({ requestId: 'req-2' })).toEqual({ requestId: 'req-2' });
    expect(requestLogFields({ requestId: 'req-3', traceparent: 'garbage' })).toEqual({ requestId: 'req-3' });
  });
});

describe('nextTraceparent with invalid ids', () => {
  it('starts a new sampled trace for an all-zero trace id or parent id', () => {
    for (const incoming of [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-00',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-00',
    ]) {
      const next = nextTraceparent(incoming);
      expect(next.slice(3, 35)).not.toBe(incoming.slice(3, 35));
      expect(next.endsWith('-01')).toBe(true);
    }
  });
});
