import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Compiles apps (TypeScript → CommonJS) into `<outRoot>/<app>` exactly as their Nx `build`
 * target does (`tsc -p apps/<app>/tsconfig.app.json && tsc-alias -p ...`), but into the bench's
 * own folder, so a run never races another engineer's `dist/` and always measures the working tree.
 * Returns the path of each app's `main.js`.
 */
export function buildApps(root, apps, outRoot, log) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const tscAlias = path.join(root, 'node_modules', '.bin', 'tsc-alias');
  const mains = {};
  for (const app of apps) {
    const outDir = path.join(outRoot, app);
    const project = path.join('apps', app, 'tsconfig.app.json');
    fs.rmSync(outDir, { recursive: true, force: true });
    log?.(`building ${app} → ${path.relative(root, outDir)}`);
    for (const [cmd, args] of [
      [process.execPath, [tsc, '-p', project, '--outDir', outDir]],
      [tscAlias, ['-p', project, '--outDir', outDir]],
    ]) {
      const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (result.status !== 0) {
        throw new Error(
          `build of ${app} failed (${path.basename(cmd)} exited ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
        );
      }
    }
    mains[app] = mainOf(outRoot, app);
  }
  return mains;
}

export function mainOf(outRoot, app) {
  return path.join(outRoot, app, 'apps', app, 'src', 'main.js');
}
