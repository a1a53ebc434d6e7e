'use strict';
/**
 * Preload (`node --require bench/lib/cpu-profiler.cjs <main.js>`) that lets the benchmark take a
 * V8 CPU profile of a running service over a chosen window: the same sampling profiler as
 * `node --cpu-prof`, but started and stopped over the IPC channel, so the profile covers the load
 * run only (not start-up, seeding or shutdown). Writes a `.cpuprofile` file (Chrome DevTools format).
 *
 * IPC messages: { type: 'profile-start', intervalUs } → { type: 'profile-start' };
 *               { type: 'profile-stop', file } → { type: 'profile-stop', file }.
 * Does nothing when the process has no IPC channel.
 */
const fs = require('node:fs');
const inspector = require('node:inspector');

if (typeof process.send === 'function') {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

  process.on('message', async (message) => {
    if (!message || typeof message.type !== 'string' || !message.type.startsWith('profile-')) return;
    try {
      if (message.type === 'profile-start') {
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: message.intervalUs ?? 1000 });
        await post('Profiler.start');
        process.send({ type: 'profile-start' });
      } else if (message.type === 'profile-stop') {
        const { profile } = await post('Profiler.stop');
        fs.writeFileSync(message.file, JSON.stringify(profile));
        await post('Profiler.disable');
        process.send({ type: 'profile-stop', file: message.file });
      }
    } catch (error) {
      process.send({ type: message.type, error: String((error && error.message) || error) });
    }
  });
  // the channel must not keep a stopping service alive
  if (process.channel) process.channel.unref();
}
