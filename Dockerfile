# syntax=docker/dockerfile:1
#
# One image per service, built from the whole workspace:
#   docker build --build-arg SERVICE=gateway  -t keyhouse/gateway:dev  .
#   docker build --build-arg SERVICE=identity -t keyhouse/identity:dev .
# docker-compose.yml and CI pass SERVICE; the image runs
#   node dist/apps/$SERVICE/apps/$SERVICE/src/main.js
# (tsc with rootDir "." + tsc-alias, so shared libs are compiled beside the app under dist/apps/$SERVICE).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: full dependency tree (dev included), compile the one service with Nx.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    NX_SKIP_NX_CACHE=true
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
ARG SERVICE
RUN test -n "$SERVICE" || { echo 'build with --build-arg SERVICE=<name> (gateway, identity, ...)' >&2; exit 1; }
RUN npx nx run "$SERVICE:build" \
 && test -f "dist/apps/$SERVICE/apps/$SERVICE/src/main.js"

# ---------------------------------------------------------------------------------------------
# prod-deps: runtime dependencies only (argon2 ships prebuilt binaries, so no compiler is needed).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# runtime: no compilers, no dev dependencies, files owned by root and read-only for the `node` user
# (Kubernetes also mounts the root filesystem read-only; only /tmp is writable there).
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node (graceful shutdown) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HTTP_HOST=0.0.0.0 \
    METRICS_HOST=0.0.0.0
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/apps/${SERVICE} ./dist/apps/${SERVICE}
USER node
# gateway: HTTP API and health on PORT 3000, Prometheus metrics on METRICS_PORT 9464 (internal);
# the other services set HEALTH_PORT (identity 3101, ...) for health, metrics and ops routes.
EXPOSE 3000 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=process.env.HEALTH_PORT||process.env.PORT||3000;fetch('http://127.0.0.1:'+p+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Shell form so $SERVICE expands; `exec` replaces the shell so node receives signals from tini.
CMD exec node dist/apps/$SERVICE/apps/$SERVICE/src/main.js
