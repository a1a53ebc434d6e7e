'use strict';
/**
 * STYLE.md "Boundaries": every Nx project carries exactly one `scope:` and one `type:` tag, and has
 * build, test and lint targets. Prints the problems and exits 1, or prints a one-line summary.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function projectFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'tmp', '.git', '.nx'].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...projectFiles(full));
    else if (entry.name === 'project.json') found.push(full);
  }
  return found;
}

function checkProjects(root = ROOT) {
  const problems = [];
  const files = [...projectFiles(path.join(root, 'apps')), ...projectFiles(path.join(root, 'libs'))];
  for (const file of files) {
    const project = JSON.parse(fs.readFileSync(file, 'utf8'));
    const name = project.name ?? path.relative(root, file);
    const tags = project.tags ?? [];
    for (const axis of ['scope:', 'type:']) {
      const count = tags.filter((tag) => tag.startsWith(axis)).length;
      if (count !== 1) problems.push(`${name}: needs exactly one ${axis}* tag, has ${count}`);
    }
    for (const target of ['build', 'test', 'lint']) {
      if (!project.targets?.[target]) problems.push(`${name}: has no ${target} target`);
    }
  }
  return { problems, projects: files.length };
}

module.exports = { checkProjects };

if (require.main === module) {
  const { problems, projects } = checkProjects();
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`projects: ${projects}, each with one scope and one type tag and build/test/lint targets\n`);
}
