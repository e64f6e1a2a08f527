# syntax=docker/dockerfile:1
# Multi-stage build of the eHealth certificate platform. BASE is an argument so operators can pin or mirror it.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
# Native addons (libxmljs, pkcs11js) build from source: toolchain only in this stage.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

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
RUN groupadd --system ehealth && useradd --system --gid ehealth --home-dir /app --shell /usr/sbin/nologin ehealth \
    && mkdir -p "$DATA_DIR" && chown ehealth:ehealth "$DATA_DIR"
USER ehealth
VOLUME ["/var/lib/ehealth-platform"]
EXPOSE 8080
# DATABASE_URL=postgres://user:password@host:5432/db selects an external PostgreSQL; unset = embedded PGlite in DATA_DIR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
