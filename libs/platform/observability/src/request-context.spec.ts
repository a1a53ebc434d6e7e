import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { currentRequestContext, nextTraceparent, runWithRequestContext, traceIdOf } from './request-context';

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

describe('runWithRequestContext', () => {
  it('returns the result of the function when called', () => {
    expect(runWithRequestContext({ requestId: 'r' }, () => 42)).toBe(42);
  });

  it('makes the context visible inside the function and after an await', async () => {
    const context = { requestId: 'req-1', traceparent: W3C_EXAMPLE };
    const seen = await runWithRequestContext(context, async () => {
      const before = currentRequestContext();
      await Promise.resolve();
      await nextMacrotask();
      return [before, currentRequestContext()];
    });
    expect(seen).toEqual([context, context]);
  });

  it('keeps concurrent requests apart when their awaits interleave', async () => {
    const handle = (requestId: string, waits: number) =>
      runWithRequestContext({ requestId }, async () => {
        const ids: Array<string | undefined> = [];
        for (let i = 0; i < waits; i++) {
          await nextMacrotask();
          ids.push(currentRequestContext()?.requestId);
        }
        return ids;
      });
    const [a, b] = await Promise.all([handle('req-a', 5), handle('req-b', 7)]);
    expect(a).toEqual(Array(5).fill('req-a'));
    expect(b).toEqual(Array(7).fill('req-b'));
  });

  it('restores the outer context when a nested context ends', () => {
    runWithRequestContext({ requestId: 'outer' }, () => {
      runWithRequestContext({ requestId: 'inner' }, () => expect(currentRequestContext()?.requestId).toBe('inner'));
      expect(currentRequestContext()?.requestId).toBe('outer');
    });
  });
});

describe('currentRequestContext', () => {
  it('returns undefined when called outside any request', () => {
    expect(currentRequestContext()).toBeUndefined();
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
