'use strict';

// node --test deploy/lint-manifests.test.js

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const YAML = require('yaml');

const { lintManifests } = require('./lint-manifests');

const REPO = path.resolve(__dirname, '..');
const COPIED = ['docker-compose.yml', 'Dockerfile', 'deploy/compose', 'k8s'];

let scratch;

/** A fresh copy of the repository's manifests in a temporary directory. */
function copyOfRepo() {
  const dir = fs.mkdtempSync(path.join(scratch, 'repo-'));
  for (const entry of COPIED) {
    fs.cpSync(path.join(REPO, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

/** Edit one YAML document in place (comments kept); `edit` receives a yaml Document. */
function editYaml(dir, file, edit, index = 0) {
  const full = path.join(dir, file);
  const docs = YAML.parseAllDocuments(fs.readFileSync(full, 'utf8'), { merge: true });
  edit(docs[index]);
  fs.writeFileSync(full, docs.map((d) => d.toString()).join('---\n'));
}

function problemsOf(dir) {
  return lintManifests(dir).problems;
}

function assertProblem(problems, ...patterns) {
  const found = problems.find((p) => patterns.every((re) => re.test(p)));
  assert.ok(found, `expected a problem matching ${patterns.join(' and ')}, got:\n${problems.join('\n') || '(none)'}`);
}

before(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'keyhouse-lint-'));
});

after(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('lintManifests', () => {
  test('passes on the repository manifests', () => {
    const result = lintManifests(REPO);
    assert.deepEqual(result.problems, []);
    // docker-compose.yml + kustomizations, configmap, template, 5 files per service, 2 overlays
    assert.ok(result.files >= 17, `files = ${result.files}`);
    // 2 services x 5 objects + ConfigMap, plus 6 compose services
    assert.ok(result.resources >= 17, `resources = ${result.resources}`);
  });

  test('passes on an unmodified copy (the copy is a valid baseline)', () => {
    assert.deepEqual(problemsOf(copyOfRepo()), []);
  });

  test('reports a Deployment without a liveness probe, naming it', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/identity/deployment.yaml', (doc) => {
      doc.deleteIn(['spec', 'template', 'spec', 'containers', 0, 'livenessProbe']);
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /Deployment\/identity/, /livenessProbe/);
    assert.equal(problems.length, 1, problems.join('\n'));
  });

  test('reports a kustomization that names a missing file, naming both', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/gateway/kustomization.yaml', (doc) => {
      doc.get('resources').add('ingress.yaml');
    });
    assertProblem(problemsOf(dir), /k8s\/base\/gateway\/kustomization\.yaml/, /"ingress\.yaml" does not exist/);
  });

  test('reports a kustomization patch whose path is missing', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/overlays/production/kustomization.yaml', (doc) => {
      doc.get('patches').add(doc.createNode({ path: 'gateway-resources.yaml' }));
    });
    assertProblem(problemsOf(dir), /overlays\/production\/kustomization\.yaml/, /"gateway-resources\.yaml" does not exist/);
  });

  test('reports a compose depends_on on a missing service, naming it', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'docker-compose.yml', (doc) => {
      doc.setIn(['services', 'gateway', 'depends_on', 'mailhog'], doc.createNode({ condition: 'service_healthy' }));
    });
    assertProblem(problemsOf(dir), /service "gateway"/, /depends_on "mailhog"/);
  });

  test('reports a compose service without a healthcheck unless exempted with a reason', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'docker-compose.yml', (doc) => {
      doc.deleteIn(['services', 'redis', 'healthcheck']);
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /service "redis"/, /no healthcheck/);
    // identity and gateway wait for redis to be healthy, which can now never happen
    assertProblem(problems, /service "identity"/, /"redis" to be service_healthy/);

    editYaml(dir, 'docker-compose.yml', (doc) => {
      doc.setIn(['services', 'redis', 'x-healthcheck-exempt'], 'test fixture');
      for (const service of ['gateway', 'identity', 'crm', 'listings', 'deals-commission', 'audit', 'notifications']) {
        doc.setIn(['services', service, 'depends_on', 'redis'], doc.createNode({ condition: 'service_started' }));
      }
    });
    assert.deepEqual(problemsOf(dir), []);
  });

  test('reports a compose file missing one of the required services', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'docker-compose.yml', (doc) => {
      doc.deleteIn(['services', 'kafka']);
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /service "kafka" is missing/);
    assertProblem(problems, /depends_on "kafka"/);
  });

  test('reports a probe on a port the container does not expose', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/gateway/deployment.yaml', (doc) => {
      doc.setIn(['spec', 'template', 'spec', 'containers', 0, 'readinessProbe', 'httpGet', 'port'], 3101);
    });
    assertProblem(problemsOf(dir), /Deployment\/gateway/, /readinessProbe port 3101/);
  });

  test('reports missing resources, Service, HPA, PDB and NetworkPolicy for a Deployment', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/identity/deployment.yaml', (doc) => {
      doc.deleteIn(['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits']);
    });
    editYaml(dir, 'k8s/base/identity/kustomization.yaml', (doc) => {
      doc.set('resources', doc.createNode(['deployment.yaml']));
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /Deployment\/identity/, /resources\.limits\.cpu/);
    assertProblem(problems, /Deployment\/identity/, /no Service/);
    assertProblem(problems, /Deployment\/identity/, /no HorizontalPodAutoscaler/);
    assertProblem(problems, /Deployment\/identity/, /no PodDisruptionBudget/);
    assertProblem(problems, /Deployment\/identity/, /no NetworkPolicy/);
    // the files left out are orphans now
    assertProblem(problems, /identity\/hpa\.yaml/, /not referenced/);
  });

  test('reports a prometheus.io/port annotation that is not a containerPort', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/gateway/deployment.yaml', (doc) => {
      doc.setIn(['spec', 'template', 'metadata', 'annotations', 'prometheus.io/port'], '9999');
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /Deployment\/gateway/, /prometheus\.io\/port "9999"/);
    assert.equal(problems.length, 1, problems.join('\n'));
  });

  test('reports a NetworkPolicy that admits everyone to the metrics port, naming both', () => {
    const dir = copyOfRepo();
    // The gateway's metrics rule without its monitoring-namespace peer.
    editYaml(dir, 'k8s/base/gateway/networkpolicy.yaml', (doc) => {
      doc.deleteIn(['spec', 'ingress', 1, 'from']);
    });
    // A service's only rule opened to every namespace.
    editYaml(dir, 'k8s/base/crm/networkpolicy.yaml', (doc) => {
      doc.setIn(['spec', 'ingress', 0, 'from'], doc.createNode([{ namespaceSelector: {} }]));
    });
    // Another service's rule without its peer.
    editYaml(dir, 'k8s/base/listings/networkpolicy.yaml', (doc) => {
      doc.deleteIn(['spec', 'ingress', 0, 'from']);
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /NetworkPolicy\/gateway/, /admits everyone to the metrics port 9464 of Deployment\/gateway/);
    assertProblem(problems, /NetworkPolicy\/crm/, /metrics port 3102 of Deployment\/crm/);
    assertProblem(problems, /NetworkPolicy\/listings/, /metrics port 3103 of Deployment\/listings/);
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  test('accepts a public rule on another port beside a monitoring-only metrics rule', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/gateway/networkpolicy.yaml', (doc) => {
      doc.setIn(['spec', 'ingress', 1, 'ports', 0, 'port'], 'metrics');
    });
    assert.deepEqual(problemsOf(dir), []);
  });

  test('reports a PDB whose selector does not match the pods', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/gateway/pdb.yaml', (doc) => {
      doc.setIn(['spec', 'selector', 'matchLabels', 'app.kubernetes.io/name'], 'gatway');
    });
    assertProblem(problemsOf(dir), /Deployment\/gateway/, /no PodDisruptionBudget/);
  });

  test('reports literal secrets in k8s/base and a template listed as a resource', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/configmap.yaml', (doc) => {
      doc.setIn(['data', 'IDENTITY_DATABASE_URL'], 'postgres://keyhouse_identity:hunter2@db:5432/keyhouse');
    });
    editYaml(dir, 'k8s/base/kustomization.yaml', (doc) => {
      doc.get('resources').add('secret.template.yaml');
    });
    fs.writeFileSync(
      path.join(dir, 'k8s/base/gateway/secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  REDIS_URL: redis://:pw@redis:6379\n',
    );
    editYaml(dir, 'k8s/base/gateway/kustomization.yaml', (doc) => {
      doc.get('resources').add('secret.yaml');
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /ConfigMap\/keyhouse-config/, /IDENTITY_DATABASE_URL/);
    assertProblem(problems, /secret\.template\.yaml/, /must not be applied/);
    assertProblem(problems, /Secret\/leaked/, /literal values/);
  });

  test('reports a real value pasted into the secret template', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/secret.template.yaml', (doc) => {
      doc.setIn(['stringData', 'IDENTITY_ENCRYPTION_KEYS'], 'prod:q0cXjJ4m1mGzq7f0p5mJr9Jb1yW8VQ3o0bVd3cF0m8Q=');
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /secret\.template\.yaml/, /template value IDENTITY_ENCRYPTION_KEYS must be a CHANGE_ME placeholder/);
    assert.equal(problems.length, 1, problems.join('\n'));
  });

  test('reports commonLabels, which would rewrite NetworkPolicy peer selectors', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/base/kustomization.yaml', (doc) => {
      doc.set('commonLabels', doc.createNode({ 'app.kubernetes.io/part-of': 'keyhouse' }));
    });
    assertProblem(problemsOf(dir), /k8s\/base\/kustomization\.yaml/, /commonLabels/);
  });

  test('reports YAML that does not parse, in files and in inline patches', () => {
    const dir = copyOfRepo();
    fs.appendFileSync(path.join(dir, 'k8s/base/gateway/service.yaml'), '---\nkind: [unclosed\n');
    editYaml(dir, 'k8s/overlays/local/kustomization.yaml', (doc) => {
      doc.get('patches').add(doc.createNode({ target: { kind: 'Deployment' }, patch: '- op: replace\n  path: [oops' }));
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /gateway\/service\.yaml \(document 2\)/, /does not parse/);
    assertProblem(problems, /local\/kustomization\.yaml: inline patch/, /does not parse/);
  });

  test('reports overlay entries that name nothing', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'k8s/overlays/production/kustomization.yaml', (doc) => {
      doc.get('images').add(doc.createNode({ name: 'keyhouse/messaging', newTag: '0.1.0' }));
      doc.get('replicas').add(doc.createNode({ name: 'messaging', count: 2 }));
      doc.get('patches').add(doc.createNode({ target: { kind: 'Deployment', name: 'messaging' }, patch: '[]' }));
    });
    const problems = problemsOf(dir);
    assertProblem(problems, /images entry "keyhouse\/messaging"/);
    assertProblem(problems, /replicas entry "messaging"/);
    assertProblem(problems, /patch target Deployment\/messaging/);
  });
});

describe('deploy/lint-manifests.js (command line)', () => {
  test('prints a summary and exits 0 on the repository', () => {
    const run = spawnSync(process.execPath, [path.join(__dirname, 'lint-manifests.js')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^manifests: \d+ files, \d+ resources, ok\n$/);
  });

  test('lists the problems and exits 1 on a broken copy', () => {
    const dir = copyOfRepo();
    editYaml(dir, 'docker-compose.yml', (doc) => {
      doc.setIn(['services', 'identity', 'depends_on', 'vault'], doc.createNode({ condition: 'service_started' }));
    });
    const run = spawnSync(process.execPath, [path.join(__dirname, 'lint-manifests.js'), dir], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /manifests: 1 problem\n/);
    assert.match(run.stderr, /- docker-compose\.yml: service "identity": depends_on "vault"/);
  });
});
