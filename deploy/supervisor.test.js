'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const { Supervisor, backoffMs } = require('./supervisor');

/** A child process stand-in: `exit(code, signal)` ends it. */
function fakeChild() {
  const child = new EventEmitter();
  child.exitCode = null;
  child.killed = [];
  child.kill = (signal) => {
    child.killed.push(signal);
    child.exit(null, signal);
  };
  child.exit = (code, signal = null) => {
    child.exitCode = code ?? 1;
    child.emit('exit', code, signal);
  };
  return child;
}

function harness() {
  let clock = 0;
  const timers = [];
  const lines = [];
  const supervisor = new Supervisor({
    log: (line) => lines.push(line),
    now: () => clock,
    setTimer: (fn, ms) => timers.push({ fn, at: clock + ms }),
    healthyAfterMs: 60_000,
  });
  const advance = (ms) => {
    clock += ms;
    for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (timer.at <= clock) timer.fn();
      else timers.push(timer);
    }
  };
  return { supervisor, advance, lines, timers };
}

test('backoff doubles from 1 s and stops at 30 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000],
  );
});

test('a service that crashes (kill -9) is restarted after the backoff; the others keep running', () => {
  const { supervisor, advance, lines } = harness();
  const crm = [];
  const audit = fakeChild();
  supervisor.start('crm', () => {
    const child = fakeChild();
    crm.push(child);
    return child;
  });
  supervisor.start('audit', () => audit);
  crm[0].exit(null, 'SIGKILL');
  assert.equal(crm.length, 1);
  assert.match(lines[0], /crm exited \(SIGKILL\); restarting in 1 s/);
  advance(999);
  assert.equal(crm.length, 1);
  advance(1);
  assert.equal(crm.length, 2);
  assert.equal(supervisor.child('crm'), crm[1]);
  assert.equal(supervisor.restarts('crm'), 1);
  assert.equal(audit.exitCode, null);
  assert.deepEqual(audit.killed, []);
});

test('repeated crashes back off longer; a minute of uptime resets the backoff', () => {
  const { supervisor, advance, lines } = harness();
  const children = [];
  supervisor.start('listings', () => {
    const child = fakeChild();
    children.push(child);
    return child;
  });
  children[0].exit(1);
  advance(1000);
  children[1].exit(1);
  assert.match(lines[1], /restarting in 2 s/);
  advance(2000);
  children[2].exit(1);
  assert.match(lines[2], /restarting in 4 s/);
  advance(4000);
  advance(60_000);
  children[3].exit(1);
  assert.match(lines[3], /restarting in 1 s/);
});

test('stop() terminates every service and restarts none', () => {
  const { supervisor, advance, timers } = harness();
  const children = [];
  for (const name of ['identity', 'crm']) {
    supervisor.start(name, () => {
      const child = fakeChild();
      children.push(child);
      return child;
    });
  }
  supervisor.stop();
  assert.deepEqual(
    children.map((child) => child.killed),
    [['SIGTERM'], ['SIGTERM']],
  );
  advance(60_000);
  assert.equal(children.length, 2);
  assert.equal(timers.length, 0);
});
