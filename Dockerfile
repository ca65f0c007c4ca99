# syntax=docker/dockerfile:1
# policywatch image. The build stage installs dependencies, generates the Prisma client into
# src/db/generated and compiles the sources to dist/ (bin/policywatch.mjs runs dist/ while its
# BUILD_ID matches the sources, else the sources through tsx); the runtime stage copies the result
# onto a clean base.

# Node 24 LTS, pinned to an exact release so a rebuild gets the same runtime (bump deliberately).
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
ENV PRISMA_HIDE_UPDATE_MESSAGE=1
# npm ci's postinstall runs scripts/prisma-generate.mjs, which needs the schema and the script.
COPY package.json package-lock.json ./
COPY prisma/ prisma/
COPY scripts/ scripts/
RUN npm ci --no-audit --no-fund
COPY bin/ bin/
COPY src/ src/
COPY tsconfig.json tsconfig.build.json ./
# Generate again after src/ is in place so the image never depends on postinstall having run
# (src/db/generated is excluded from the build context by .dockerignore).
RUN npm run generate
# Compiled JavaScript: faster start and ~70 MB less memory than compiling through tsx at run time.
# The build also makes dist/pglite-template/ (a migrated, empty embedded database): a container's
# first start on an empty /data unpacks it instead of running initdb.
RUN npm run build
# tsx (the fallback when dist/ does not match), prisma and the client are runtime dependencies;
# this drops typescript, eslint, @types.
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:24.22.3-bookworm-slim AS runtime
WORKDIR /app
# git reads an IAMTrail clone's history (policywatch import <clone>, POLICYWATCH_IAMTRAIL_REPO).
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 POLICYWATCH_DATA_DIR=/data
# Application files stay root-owned: the service user can read but not modify its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/tsconfig.json /app/tsconfig.build.json ./
# The embedded database (PGlite, used when DATABASE_URL is unset) lives here.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
# Slim images have no curl; node's fetch does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=32", "bin/policywatch.mjs", "serve"]
