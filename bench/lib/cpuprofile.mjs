/**
 * Summary of a V8 `.cpuprofile`: self time per function and per package, and inclusive time per
 * function (each sample counted once per function on its stack).
 */
import fs from 'node:fs';
import path from 'node:path';

function packageOf(url, root) {
  if (!url) return null;
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (file.startsWith('node:') || !file.startsWith('/')) return 'node (built-in)';
  const rel = path.relative(root, file);
  const app = /(?:^|\/)(apps\/[^/]+|libs\/[^/]+(?:\/[^/]+)?)\/src\//.exec(rel);
  if (app) return `keyhouse ${app[1]}`;
  return rel.startsWith('..') ? file : rel;
}

function labelOf(frame, root) {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return { key: fn, name: fn, where: '', pkg: fn.startsWith('(') ? fn : 'native' };
  const file = frame.url.startsWith('file://') ? new URL(frame.url).pathname : frame.url;
  const nm = file.lastIndexOf('/node_modules/');
  const short =
    nm >= 0 ? file.slice(nm + '/node_modules/'.length) : path.relative(root, file).startsWith('..') ? file : path.relative(root, file);
  const where = `${short}:${frame.lineNumber + 1}`;
  return { key: `${fn} ${where}`, name: fn, where, pkg: packageOf(frame.url, root) };
}

/** @returns {{ durationMs, samples, idlePct, topSelf, byPackage, topInclusive, byPackageInclusive }} */
export function summarizeCpuProfile(file, { root = process.cwd(), top = 25 } = {}) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const labels = new Map(profile.nodes.map((n) => [n.id, labelOf(n.callFrame, root)]));

  // time per sample: the delta to the next sample (the last one gets the mean)
  const deltas = profile.timeDeltas ?? [];
  const durationUs = profile.endTime - profile.startTime;
  const meanUs = durationUs / Math.max(1, profile.samples.length);
  const self = new Map();
  const inclusive = new Map();
  const byPackage = new Map();
  const byPackageInclusive = new Map();
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = i + 1 < deltas.length ? Math.max(0, deltas[i + 1]) : meanUs;
    const id = profile.samples[i];
    const label = labels.get(id);
    if (label.name === '(idle)') {
      idleUs += us;
      continue;
    }
    self.set(label.key, (self.get(label.key) ?? 0) + us);
    byPackage.set(label.pkg, (byPackage.get(label.pkg) ?? 0) + us);
    const seen = new Set();
    const seenPkg = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const { key, pkg } = labels.get(n);
      if (key.startsWith('(root)')) continue;
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
      if (pkg && !seenPkg.has(pkg)) {
        seenPkg.add(pkg);
        byPackageInclusive.set(pkg, (byPackageInclusive.get(pkg) ?? 0) + us);
      }
    }
  }
  const busyUs = durationUs - idleUs;
  const rows = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => ({ function: key, ms: Number((us / 1000).toFixed(1)), pctOfBusy: Number(((us / busyUs) * 100).toFixed(1)) }));
  void nodes;
  return {
    durationMs: Number((durationUs / 1000).toFixed(0)),
    samples: profile.samples.length,
    idlePct: Number(((idleUs / durationUs) * 100).toFixed(1)),
    topSelf: rows(self, top),
    byPackage: rows(byPackage, top).map(({ function: pkg, ...rest }) => ({ package: pkg, ...rest })),
    topInclusive: rows(inclusive, top),
    // time with the package anywhere on the stack (async continuations only see their own frames)
    byPackageInclusive: rows(byPackageInclusive, top).map(({ function: pkg, ...rest }) => ({ package: pkg, ...rest })),
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/lib/cpuprofile.mjs <file.cpuprofile> [top]\n');
    process.exit(64);
  }
  console.log(JSON.stringify(summarizeCpuProfile(file, { top: Number(topArg ?? 25) }), null, 2));
}
