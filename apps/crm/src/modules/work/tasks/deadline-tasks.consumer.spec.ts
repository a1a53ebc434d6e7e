import { deadlineDueAt, deadlineTaskId } from './deadline-tasks.consumer';

describe('deadline tasks', () => {
  it('derives one task id per event id (UUID v5), different events different ids', () => {
    expect(deadlineTaskId('01a252d1-b667-76a5-9294-303e914b0f1b')).toBe(deadlineTaskId('01a252d1-b667-76a5-9294-303e914b0f1b'));
    expect(deadlineTaskId('01a252d1-b667-76a5-9294-303e914b0f1b')).not.toBe(deadlineTaskId('01a252d1-b667-76a5-9294-303e914b0f1c'));
    expect(deadlineTaskId('01a252d1-b667-76a5-9294-303e914b0f1b')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('puts the task at the end of the deadline’s day (UTC)', () => {
    expect(deadlineDueAt('2026-12-17').toISOString()).toBe('2026-12-17T23:59:59.999Z');
  });
});
