/**
 * One place that undoes everything a benchmark started: child processes, the bench database,
 * the private Kafka broker, Redis keys. Cleanups run once, last registered first, on normal
 * completion (`runCleanups()` from a `finally`), on SIGINT/SIGTERM/SIGHUP, and on an uncaught error.
 */
const cleanups = [];
let running = null;

/** Registers `fn` (sync or async); returns a function that unregisters it (after a manual undo). */
export function onCleanup(name, fn) {
  const entry = { name, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every registered cleanup, last first; errors are reported, never thrown. Idempotent. */
export function runCleanups() {
  running ??= (async () => {
    while (cleanups.length) {
      const { name, fn } = cleanups.pop();
      try {
        await withTimeout(Promise.resolve().then(fn), 15_000, name);
      } catch (error) {
        process.stderr.write(`[bench] cleanup "${name}" failed: ${error?.message ?? error}\n`);
      }
    }
    running = null;
  })();
  return running;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

let installed = false;

/** Signal and crash handlers that clean up and exit (a second Ctrl-C exits at once). */
export function installSignalHandlers() {
  if (installed) return;
  installed = true;
  let interrupted = false;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(signal, () => {
      if (interrupted) process.exit(code);
      interrupted = true;
      process.stderr.write(`\n[bench] ${signal}: cleaning up (press Ctrl-C again to exit at once)\n`);
      runCleanups().finally(() => process.exit(code));
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`[bench] uncaught: ${error?.stack ?? error}\n`);
    runCleanups().finally(() => process.exit(1));
  });
}
