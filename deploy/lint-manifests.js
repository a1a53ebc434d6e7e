'use strict';

/**
 * Static checks for the container and Kubernetes manifests (no Docker engine or cluster needed).
 *
 *   node deploy/lint-manifests.js [rootDir]
 *
 * Parses docker-compose.yml and every *.yaml / *.yml under k8s/ with the `yaml` package (every
 * document of a multi-document file, and every inline kustomize patch) and checks:
 *
 * kustomize
 *   - every path a kustomization names exists (resources, patches, patchesStrategicMerge,
 *     patchesJson6902, components, config/secret generator files); a directory resource has its
 *     own kustomization file;
 *   - patch targets, `replicas` and `images` entries name something that exists;
 *   - no `commonLabels` (it rewrites NetworkPolicy peer selectors; use `labels`);
 *   - every other YAML file under k8s/ is reachable from a kustomization, except *.template.yaml,
 *     and no *.template.yaml is listed as a resource.
 * Deployments
 *   - selector matches the pod template labels;
 *   - each container has readiness and liveness probes whose port is one of its containerPorts
 *     (by number or name; a startupProbe, when present, too), and resource requests and limits
 *     for cpu and memory; runAsNonRoot comes with a numeric runAsUser (the kubelet cannot verify a
 *     named image user such as `node`);
 *   - a Service selects its pods (and targets a containerPort), an HPA's scaleTargetRef names it,
 *     a PDB and a NetworkPolicy select its pods;
 *   - its `prometheus.io/port` annotation names one of its containerPorts, and no NetworkPolicy
 *     selecting its pods admits everyone to that metrics port (a rule without `from`, or a peer
 *     with an empty namespaceSelector or a 0.0.0.0/0 ipBlock): only the monitoring namespace.
 * secrets
 *   - nothing under k8s/base holds a literal secret: no Secret objects or secretGenerators,
 *     no credential-looking ConfigMap keys, no literal env values for credential-looking names,
 *     no URL with a password, no private key; the only exception is *.template.yaml, whose
 *     values must all be CHANGE_ME placeholders.
 * docker-compose.yml
 *   - includes gateway, identity, postgres, nats, redis and kafka;
 *   - every service has a healthcheck, unless it says why not in `x-healthcheck-exempt`;
 *   - every depends_on names an existing service, and `service_healthy` only points at a
 *     service with a healthcheck; bind-mounted files and build Dockerfiles exist.
 *
 * Exits 1 with the list of problems, or prints `manifests: N files, M resources, ok` where N is
 * the number of YAML files read and M the number of Kubernetes objects (patches excluded) plus
 * compose services.
 */

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const COMPOSE_FILE = 'docker-compose.yml';
const K8S_DIR = 'k8s';
const REQUIRED_COMPOSE_SERVICES = ['gateway', 'identity', 'postgres', 'nats', 'redis', 'kafka'];
const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const TEMPLATE_RE = /\.template\.ya?ml$/;
const PLACEHOLDER = 'CHANGE_ME';
/** Names of variables or keys that hold credentials. */
const SENSITIVE_NAME_RE = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|_KEYS?$|DATABASE_URL$|^REDIS_URL$)/i;
/** A URL with a password in its user-info: scheme://user:password@host */
const URL_WITH_PASSWORD_RE = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;
const PRIVATE_KEY_RE = /-----BEGIN [A-Z ]*PRIVATE KEY-----|"d"\s*:\s*"[A-Za-z0-9_-]{20,}"/;

const YAML_OPTIONS = { merge: true, prettyErrors: false };

function lintManifests(rootDir) {
  const root = path.resolve(rootDir);
  const problems = [];
  const rel = (file) => path.relative(root, file).split(path.sep).join('/') || '.';
  let files = 0;

  /** Parse every document of a YAML text; report parse errors against `where`. */
  function parseAll(text, where) {
    let docs;
    try {
      docs = YAML.parseAllDocuments(text, YAML_OPTIONS);
    } catch (error) {
      problems.push(`${where}: does not parse: ${error.message}`);
      return [];
    }
    if (!Array.isArray(docs)) docs = [docs]; // EmptyStream
    const values = [];
    docs.forEach((doc, index) => {
      if (doc.errors && doc.errors.length) {
        for (const error of doc.errors) {
          problems.push(`${where}${docs.length > 1 ? ` (document ${index + 1})` : ''}: does not parse: ${firstLine(error.message)}`);
        }
        return;
      }
      const value = doc.toJS({ maxAliasCount: 1000 });
      if (value !== null && value !== undefined) values.push(value);
    });
    return values;
  }

  function readYamlFile(file) {
    files += 1;
    return parseAll(fs.readFileSync(file, 'utf8'), rel(file));
  }

  // ------------------------------------------------------------------------------------------
  // Kubernetes
  const k8sRoot = path.join(root, K8S_DIR);
  const yamlFiles = fs.existsSync(k8sRoot) ? walkYaml(k8sRoot) : [];
  if (!fs.existsSync(k8sRoot)) problems.push(`${K8S_DIR}/: directory is missing`);

  /** file -> parsed documents */
  const parsed = new Map();
  for (const file of yamlFiles) parsed.set(file, readYamlFile(file));

  const kustomizationFiles = yamlFiles.filter((f) => KUSTOMIZATION_NAMES.includes(path.basename(f)));
  const referenced = new Set(kustomizationFiles); // files reached from some kustomization
  const resourceFiles = new Set();
  const patchFiles = new Set();
  /** deferred checks that need the full resource list */
  const patchTargets = []; // { where, target }
  const replicaNames = []; // { where, name }
  const imageNames = []; // { where, name }

  for (const kfile of kustomizationFiles) {
    const kdir = path.dirname(kfile);
    const where = rel(kfile);
    const k = parsed.get(kfile)[0];
    if (!k) continue;
    if (!isObject(k)) {
      problems.push(`${where}: is not a mapping`);
      continue;
    }
    const inBase = isUnder(kfile, path.join(k8sRoot, 'base'));

    if (k.commonLabels) {
      problems.push(
        `${where}: uses commonLabels, which also rewrites selectors (including NetworkPolicy ` +
          `ingress.from.podSelector); use labels: [{pairs, includeSelectors: false, includeTemplates: true}]`,
      );
    }

    for (const entry of asList(k.resources)) {
      if (typeof entry !== 'string') {
        problems.push(`${where}: resources entry ${JSON.stringify(entry)} is not a path`);
        continue;
      }
      if (isRemote(entry)) continue;
      const target = path.resolve(kdir, entry);
      if (!fs.existsSync(target)) {
        problems.push(`${where}: resources entry "${entry}" does not exist`);
      } else if (fs.statSync(target).isDirectory()) {
        if (!KUSTOMIZATION_NAMES.some((n) => fs.existsSync(path.join(target, n)))) {
          problems.push(`${where}: resources entry "${entry}" is a directory without a kustomization.yaml`);
        }
      } else {
        referenced.add(target);
        if (TEMPLATE_RE.test(entry)) {
          problems.push(`${where}: resources entry "${entry}" is a template with placeholder values; it must not be applied`);
        } else {
          resourceFiles.add(target);
        }
      }
    }

    for (const entry of asList(k.components)) {
      if (typeof entry === 'string' && !isRemote(entry) && !fs.existsSync(path.resolve(kdir, entry))) {
        problems.push(`${where}: components entry "${entry}" does not exist`);
      }
    }

    const patchPath = (entry, field) => {
      const target = path.resolve(kdir, entry);
      if (!fs.existsSync(target)) {
        problems.push(`${where}: ${field} path "${entry}" does not exist`);
      } else {
        referenced.add(target);
        patchFiles.add(target);
      }
    };
    for (const entry of asList(k.patches)) {
      if (typeof entry === 'string') {
        patchPath(entry, 'patches');
        continue;
      }
      if (!isObject(entry)) {
        problems.push(`${where}: patches entry ${JSON.stringify(entry)} is neither a path nor a mapping`);
        continue;
      }
      if (entry.path !== undefined) patchPath(String(entry.path), 'patches');
      if (entry.patch !== undefined)
        parseAll(String(entry.patch), `${where}: inline patch${entry.target ? ` for ${describeTarget(entry.target)}` : ''}`);
      if (entry.path === undefined && entry.patch === undefined) problems.push(`${where}: patches entry has neither path nor patch`);
      if (entry.target) patchTargets.push({ where, target: entry.target });
    }
    for (const entry of asList(k.patchesStrategicMerge)) {
      if (typeof entry === 'string' && !entry.includes('\n')) patchPath(entry, 'patchesStrategicMerge');
      else parseAll(String(entry), `${where}: inline patchesStrategicMerge`);
    }
    for (const entry of asList(k.patchesJson6902)) {
      if (isObject(entry) && entry.path !== undefined) patchPath(String(entry.path), 'patchesJson6902');
      if (isObject(entry) && entry.target) patchTargets.push({ where, target: entry.target });
    }

    for (const field of ['configMapGenerator', 'secretGenerator']) {
      for (const gen of asList(k[field])) {
        if (!isObject(gen)) continue;
        if (field === 'secretGenerator' && inBase) {
          problems.push(
            `${where}: secretGenerator "${gen.name}" in k8s/base would commit secret values; the operator creates secrets (see secret.template.yaml)`,
          );
        }
        const paths = [...asList(gen.files), ...asList(gen.envs), ...(gen.env ? [gen.env] : [])];
        for (const p of paths) {
          const file = String(p).includes('=') ? String(p).split('=').slice(1).join('=') : String(p);
          const target = path.resolve(kdir, file);
          if (!fs.existsSync(target)) problems.push(`${where}: ${field} "${gen.name}" file "${file}" does not exist`);
          else referenced.add(target);
        }
        if (field === 'configMapGenerator') {
          for (const literal of asList(gen.literals)) {
            const [key, ...rest] = String(literal).split('=');
            checkConfigValue(key, rest.join('='), `${where}: configMapGenerator "${gen.name}"`, inBase);
          }
        }
      }
    }

    for (const r of asList(k.replicas)) if (isObject(r)) replicaNames.push({ where, name: r.name });
    for (const i of asList(k.images)) if (isObject(i)) imageNames.push({ where, name: i.name });
  }

  for (const file of yamlFiles) {
    if (!referenced.has(file) && !TEMPLATE_RE.test(file)) {
      problems.push(`${rel(file)}: not referenced by any kustomization (it would never be applied)`);
    }
  }

  // Objects from resource files (patch files are partial objects and are not checked as such).
  const resources = [];
  for (const file of resourceFiles) {
    for (const doc of parsed.get(file) || []) {
      if (!isObject(doc) || !doc.kind || !doc.apiVersion) {
        problems.push(`${rel(file)}: a document without apiVersion/kind`);
        continue;
      }
      resources.push({ file, where: `${rel(file)} ${doc.kind}/${doc.metadata && doc.metadata.name}`, doc });
    }
  }

  for (const { where, target } of patchTargets) {
    if (!isObject(target)) continue;
    const matches = resources.filter(
      ({ doc }) => (!target.kind || doc.kind === target.kind) && (!target.name || nameOf(doc) === target.name),
    );
    if (!matches.length) problems.push(`${where}: patch target ${describeTarget(target)} matches no resource`);
  }
  const deployments = resources.filter((r) => r.doc.kind === 'Deployment');
  for (const { where, name } of replicaNames) {
    if (!resources.some((r) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(r.doc.kind) && nameOf(r.doc) === name)) {
      problems.push(`${where}: replicas entry "${name}" names no Deployment`);
    }
  }
  const imagesInUse = new Set(deployments.flatMap((r) => containersOf(r.doc).map((c) => imageName(c.image))));
  for (const { where, name } of imageNames) {
    if (!imagesInUse.has(name)) problems.push(`${where}: images entry "${name}" is used by no container`);
  }

  // Deployments and their companions.
  const ofKind = (kind) => resources.filter((r) => r.doc.kind === kind);
  for (const { file, where, doc } of deployments) {
    const name = nameOf(doc);
    const ns = namespaceOf(doc);
    const podLabels = (doc.spec && doc.spec.template && doc.spec.template.metadata && doc.spec.template.metadata.labels) || {};
    const selector = (doc.spec && doc.spec.selector) || {};
    if (!selectorMatches(selector, podLabels)) {
      problems.push(`${where}: spec.selector does not match the pod template labels`);
    }
    const podSecurity = (doc.spec && doc.spec.template && doc.spec.template.spec && doc.spec.template.spec.securityContext) || {};
    const containers = containersOf(doc);
    if (!containers.length) problems.push(`${where}: has no containers`);
    const allPorts = [];
    for (const c of containers) {
      const cwhere = `${where} container "${c.name}"`;
      const ports = asList(c.ports).filter(isObject);
      allPorts.push(...ports);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        if (!c[probe]) {
          if (probe !== 'startupProbe') problems.push(`${cwhere}: has no ${probe}`);
          continue;
        }
        const port = probePort(c[probe]);
        if (port === undefined) continue; // exec probe
        if (!ports.some((p) => p.containerPort === port || (p.name !== undefined && p.name === port))) {
          problems.push(`${cwhere}: ${probe} port ${JSON.stringify(port)} is not one of its containerPorts`);
        }
      }
      const res = c.resources || {};
      for (const kind of ['requests', 'limits']) {
        for (const r of ['cpu', 'memory']) {
          if (!res[kind] || res[kind][r] === undefined) problems.push(`${cwhere}: has no resources.${kind}.${r}`);
        }
      }
      const sc = { ...podSecurity, ...(c.securityContext || {}) };
      if (sc.runAsNonRoot === true && typeof sc.runAsUser !== 'number') {
        problems.push(`${cwhere}: runAsNonRoot without a numeric runAsUser (the kubelet cannot verify a named image user)`);
      }
      for (const e of asList(c.env)) {
        if (isObject(e) && e.value !== undefined)
          checkConfigValue(e.name, e.value, `${cwhere} env`, isUnder(file, path.join(k8sRoot, 'base')));
      }
    }

    const services = ofKind('Service').filter(
      (s) =>
        namespaceOf(s.doc) === ns &&
        s.doc.spec &&
        isObject(s.doc.spec.selector) &&
        Object.keys(s.doc.spec.selector).length > 0 &&
        labelsMatch(s.doc.spec.selector, podLabels),
    );
    if (!services.length) problems.push(`${where}: no Service selects its pods`);
    for (const s of services) {
      for (const sp of asList(s.doc.spec.ports).filter(isObject)) {
        const target = sp.targetPort === undefined ? sp.port : sp.targetPort;
        if (!allPorts.some((p) => p.containerPort === target || (p.name !== undefined && p.name === target))) {
          problems.push(`${s.where}: targetPort ${JSON.stringify(target)} is not a containerPort of Deployment/${name}`);
        }
      }
    }
    const hpas = ofKind('HorizontalPodAutoscaler').filter(
      (h) =>
        namespaceOf(h.doc) === ns &&
        h.doc.spec &&
        h.doc.spec.scaleTargetRef &&
        h.doc.spec.scaleTargetRef.kind === 'Deployment' &&
        h.doc.spec.scaleTargetRef.name === name,
    );
    if (!hpas.length) problems.push(`${where}: no HorizontalPodAutoscaler has scaleTargetRef Deployment/${name}`);
    for (const h of hpas) {
      const { minReplicas = 1, maxReplicas } = h.doc.spec;
      if (typeof maxReplicas !== 'number' || maxReplicas < minReplicas) {
        problems.push(`${h.where}: maxReplicas must be a number >= minReplicas`);
      }
    }
    const pdbs = ofKind('PodDisruptionBudget').filter(
      (p) =>
        namespaceOf(p.doc) === ns && p.doc.spec && nonEmptySelector(p.doc.spec.selector) && selectorMatches(p.doc.spec.selector, podLabels),
    );
    if (!pdbs.length) problems.push(`${where}: no PodDisruptionBudget selects its pods`);
    const netpols = ofKind('NetworkPolicy').filter(
      (n) =>
        namespaceOf(n.doc) === ns &&
        n.doc.spec &&
        nonEmptySelector(n.doc.spec.podSelector) &&
        selectorMatches(n.doc.spec.podSelector, podLabels),
    );
    if (!netpols.length) problems.push(`${where}: no NetworkPolicy selects its pods`);

    // The metrics (scrape) port: a port of the pods, and reachable from the monitoring namespace only.
    const annotations = (doc.spec && doc.spec.template && doc.spec.template.metadata && doc.spec.template.metadata.annotations) || {};
    const scrapeAnnotation = annotations['prometheus.io/port'];
    if (scrapeAnnotation !== undefined) {
      const scrapePort = /^\d+$/.test(String(scrapeAnnotation)) ? Number(scrapeAnnotation) : String(scrapeAnnotation);
      const scrape = allPorts.find((p) => p.containerPort === scrapePort || (p.name !== undefined && p.name === scrapePort));
      if (!scrape) {
        problems.push(`${where}: prometheus.io/port ${JSON.stringify(scrapeAnnotation)} is not one of its containerPorts`);
      } else {
        for (const n of netpols) {
          asList(n.doc.spec.ingress)
            .filter(isObject)
            .forEach((rule, index) => {
              if (!admitsEveryone(rule) || !ruleCoversPort(rule, scrape)) return;
              problems.push(
                `${n.where}: ingress rule ${index + 1} admits everyone to the metrics port ${scrape.containerPort} of ` +
                  `Deployment/${name}; admit only the monitoring namespace (from: namespaceSelector + podSelector)`,
              );
            });
        }
      }
    }
  }

  // Literal secrets in k8s/base.
  const baseDir = path.join(k8sRoot, 'base');
  for (const file of yamlFiles.filter((f) => isUnder(f, baseDir))) {
    const docs = parsed.get(file) || [];
    const where = rel(file);
    if (TEMPLATE_RE.test(file)) {
      for (const doc of docs) {
        if (!isObject(doc) || doc.kind !== 'Secret') continue;
        for (const field of ['stringData', 'data']) {
          for (const [key, value] of Object.entries(doc[field] || {})) {
            const text = field === 'data' ? safeBase64(value) : String(value);
            if (!text.includes(PLACEHOLDER))
              problems.push(`${where}: template value ${key} must be a ${PLACEHOLDER} placeholder, not a real value`);
          }
        }
      }
      continue;
    }
    for (const doc of docs) {
      if (!isObject(doc)) continue;
      if (doc.kind === 'Secret') {
        const keys = [...Object.keys(doc.data || {}), ...Object.keys(doc.stringData || {})];
        problems.push(
          `${where}: Secret/${nameOf(doc)} in k8s/base holds literal values${keys.length ? ` (${keys.join(', ')})` : ''}; the operator creates secrets`,
        );
        continue;
      }
      if (doc.kind === 'ConfigMap') {
        for (const [key, value] of Object.entries(doc.data || {})) checkConfigValue(key, value, `${where}: ConfigMap/${nameOf(doc)}`, true);
      }
      walkStrings(doc, (value, at) => {
        if (PRIVATE_KEY_RE.test(value)) problems.push(`${where}: ${at} contains a private key`);
      });
    }
  }

  /** Report a literal credential in k8s/base: a sensitive name with a literal value, a URL with a password, a key. */
  function checkConfigValue(key, value, where, inBase) {
    if (!inBase) return;
    const text = String(value);
    if (SENSITIVE_NAME_RE.test(String(key))) {
      problems.push(`${where}: ${key} looks like a secret; take it from the Secret keyhouse-secrets (secretKeyRef), not a literal`);
    } else if (URL_WITH_PASSWORD_RE.test(text)) {
      problems.push(`${where}: ${key} is a URL with a password; put it in the Secret`);
    } else if (PRIVATE_KEY_RE.test(text)) {
      problems.push(`${where}: ${key} contains a private key`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // docker-compose.yml
  let composeServices = 0;
  const composeFile = path.join(root, COMPOSE_FILE);
  if (!fs.existsSync(composeFile)) {
    problems.push(`${COMPOSE_FILE}: is missing`);
  } else {
    const compose = readYamlFile(composeFile)[0];
    const services = isObject(compose) && isObject(compose.services) ? compose.services : null;
    if (!services) {
      problems.push(`${COMPOSE_FILE}: has no services`);
    } else {
      const names = Object.keys(services);
      composeServices = names.length;
      for (const required of REQUIRED_COMPOSE_SERVICES) {
        if (!names.includes(required)) problems.push(`${COMPOSE_FILE}: service "${required}" is missing`);
      }
      const hasHealthcheck = (svc) =>
        isObject(svc) &&
        isObject(svc.healthcheck) &&
        svc.healthcheck.disable !== true &&
        svc.healthcheck.test !== undefined &&
        !(Array.isArray(svc.healthcheck.test) && svc.healthcheck.test[0] === 'NONE');
      for (const [name, svc] of Object.entries(services)) {
        const where = `${COMPOSE_FILE}: service "${name}"`;
        if (!isObject(svc)) {
          problems.push(`${where}: is not a mapping`);
          continue;
        }
        const exempt = typeof svc['x-healthcheck-exempt'] === 'string' && svc['x-healthcheck-exempt'].trim() !== '';
        if (!hasHealthcheck(svc) && !exempt) {
          problems.push(`${where}: has no healthcheck (add one, or say why in x-healthcheck-exempt)`);
        }
        const deps = Array.isArray(svc.depends_on)
          ? svc.depends_on.map((d) => [d, {}])
          : isObject(svc.depends_on)
            ? Object.entries(svc.depends_on)
            : [];
        for (const [dep, opts] of deps) {
          if (!names.includes(dep)) {
            problems.push(`${where}: depends_on "${dep}", which is not a service in ${COMPOSE_FILE}`);
          } else if (isObject(opts) && opts.condition === 'service_healthy' && !hasHealthcheck(services[dep])) {
            problems.push(`${where}: waits for "${dep}" to be service_healthy, but "${dep}" has no healthcheck`);
          }
        }
        for (const volume of asList(svc.volumes)) {
          const source =
            typeof volume === 'string' ? volume.split(':')[0] : isObject(volume) && volume.type === 'bind' ? volume.source : undefined;
          if (source && (source.startsWith('./') || source.startsWith('../')) && !fs.existsSync(path.resolve(root, source))) {
            problems.push(`${where}: bind mount source "${source}" does not exist`);
          }
        }
        if (svc.build !== undefined) {
          const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
          const context = path.resolve(root, build.context || '.');
          const dockerfile = path.resolve(context, build.dockerfile || 'Dockerfile');
          if (!fs.existsSync(dockerfile)) problems.push(`${where}: Dockerfile "${rel(dockerfile)}" does not exist`);
        }
      }
    }
  }

  return { problems, files, resources: resources.length + composeServices };
}

// ----------------------------------------------------------------------------------------------
// helpers

function walkYaml(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkYaml(full));
    else if (/\.ya?ml$/.test(entry.name) || entry.name === 'Kustomization') out.push(full);
  }
  return out;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function asList(v) {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function firstLine(message) {
  return String(message).split('\n')[0];
}

function isRemote(entry) {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) || entry.startsWith('git@');
}

function isUnder(file, dir) {
  const r = path.relative(dir, file);
  return r !== '' && !r.startsWith('..') && !path.isAbsolute(r);
}

function nameOf(doc) {
  return doc && doc.metadata ? doc.metadata.name : undefined;
}

function namespaceOf(doc) {
  return (doc && doc.metadata && doc.metadata.namespace) || '';
}

function describeTarget(t) {
  return isObject(t) ? `${t.kind || '*'}/${t.name || '*'}` : String(t);
}

function containersOf(doc) {
  const spec = doc && doc.spec && doc.spec.template && doc.spec.template.spec;
  return spec ? asList(spec.containers).filter(isObject) : [];
}

function imageName(image) {
  const s = String(image || '');
  const noDigest = s.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

function probePort(probe) {
  if (!isObject(probe)) return undefined;
  for (const kind of ['httpGet', 'tcpSocket', 'grpc']) {
    if (isObject(probe[kind])) return probe[kind].port;
  }
  return undefined;
}

function labelsMatch(wanted, labels) {
  return Object.entries(wanted || {}).every(([k, v]) => labels[k] === v);
}

function nonEmptySelector(selector) {
  return isObject(selector) && (Object.keys(selector.matchLabels || {}).length > 0 || asList(selector.matchExpressions).length > 0);
}

/** A LabelSelector (matchLabels + matchExpressions) against a label set. */
function selectorMatches(selector, labels) {
  if (!isObject(selector)) return false;
  if (!labelsMatch(selector.matchLabels, labels)) return false;
  return asList(selector.matchExpressions).every((e) => {
    if (!isObject(e)) return false;
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = asList(e.values).map(String);
    switch (e.operator) {
      case 'In':
        return has && values.includes(labels[e.key]);
      case 'NotIn':
        return !has || !values.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/** A NetworkPolicy ingress rule open to any source: no `from`, or a peer selecting every namespace or address. */
function admitsEveryone(rule) {
  const peers = asList(rule.from);
  if (!peers.length) return true;
  return peers.some(
    (peer) =>
      !isObject(peer) ||
      (isObject(peer.ipBlock) && ['0.0.0.0/0', '::/0'].includes(peer.ipBlock.cidr)) ||
      (peer.namespaceSelector !== undefined && !nonEmptySelector(peer.namespaceSelector)),
  );
}

/** Whether a NetworkPolicy ingress rule applies to `port` (a containerPort entry): no `ports` means every port. */
function ruleCoversPort(rule, port) {
  const ports = asList(rule.ports).filter(isObject);
  if (!ports.length) return true;
  return ports.some((p) => {
    if (p.port === undefined) return true;
    if (p.port === port.containerPort || (port.name !== undefined && p.port === port.name)) return true;
    return typeof p.port === 'number' && typeof p.endPort === 'number' && p.port <= port.containerPort && port.containerPort <= p.endPort;
  });
}

function walkStrings(value, visit, at = '') {
  if (typeof value === 'string') visit(value, at || '(value)');
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, visit, `${at}[${i}]`));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, visit, at ? `${at}.${k}` : k);
}

function safeBase64(value) {
  try {
    return Buffer.from(String(value), 'base64').toString('utf8');
  } catch {
    return '';
  }
}

module.exports = { lintManifests };

if (require.main === module) {
  const root = process.argv[2] || path.resolve(__dirname, '..');
  const { problems, files, resources } = lintManifests(root);
  if (problems.length) {
    process.stderr.write(`manifests: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    for (const p of problems) process.stderr.write(`  - ${p}\n`);
    process.exit(1);
  }
  process.stdout.write(`manifests: ${files} files, ${resources} resources, ok\n`);
}
