# syntax=docker/dockerfile:1
# Multi-stage build of the eHealth certificate platform. BASE is an argument so operators can pin or mirror it.
ARG BASE=docker.io/library/node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
# Native addons (libxmljs, pkcs11js) build from source: toolchain only in this stage.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# The build reaches no host but the npm registry (and Debian's mirror above): libxmljs is compiled rather than fetched
# prebuilt from github.com, and node-gyp compiles against the headers of the image's own Node (the official node image
# and scripts/container-base-image.sh both ship them in <prefix>/include/node) rather than downloading them.
# (npm warns that it does not know build-from-source: node-pre-gyp, which reads it, does.)
ENV npm_config_build_from_source=true npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"; \
    if [ ! -f "$nodedir/include/node/node_version.h" ]; then \
      echo "FATAL: no Node headers in $nodedir/include/node: native modules cannot be built offline" >&2; exit 1; \
    fi; \
    npm_config_nodedir="$nodedir" npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Only what runs: production dependencies, without the native modules' sources and intermediate objects.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
    && rm -rf node_modules/libxmljs/vendor node_modules/libxmljs/src node_modules/libxmljs/build/Release/obj.target \
       node_modules/libxmljs/build/Release/.deps node_modules/pkcs11js/src node_modules/pkcs11js/build/Release/obj.target \
       node_modules/pkcs11js/build/Release/.deps

FROM ${BASE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/var/lib/ehealth-platform \
    LOG_LEVEL=info
WORKDIR /app
# softhsm2 is not installed: PKCS#11 modules of a real HSM are mounted by the operator (KeyReference module path).
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY wsdl ./wsdl
COPY xsd ./xsd
COPY migrations ./migrations
# The shipped mail templates (an operator's own copies go in REMINDER_TEMPLATE_DIR, e.g. on a mounted volume).
COPY templates ./templates
RUN groupadd --system ehealth && useradd --system --gid ehealth --home-dir /app --shell /usr/sbin/nologin ehealth \
    && mkdir -p "$DATA_DIR" && chown ehealth:ehealth "$DATA_DIR"
USER ehealth
VOLUME ["/var/lib/ehealth-platform"]
EXPOSE 8080 8443
# DATABASE_URL=postgres://user:password@host:5432/db selects an external PostgreSQL; unset = embedded PGlite in DATA_DIR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
