# One image for every Kuacheng process (gateway, approval simulators, the dev-PKI one-shot); the
# service's command picks the entry point (see docker-compose.yml). TypeScript runs through tsx,
# a runtime dependency, so there is no build step.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NO_UPDATE_NOTIFIER=1 \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# Dependencies first, so source edits do not re-run npm ci.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --loglevel=error && npm cache clean --force

# Only what runs: no tests. .dockerignore keeps out node_modules from the host and the local dev PKI
# (certs/dev holds private keys).
COPY tsconfig.json ./
COPY protos ./protos
COPY gateway ./gateway
COPY adapters ./adapters
COPY courier ./courier
COPY certs ./certs

# Mount points for named volumes: a fresh volume takes its owner from here, so `node` can write.
RUN mkdir -p /certs /data && chown node:node /certs /data
USER node

# REST + staff console, peer gRPC (mutual TLS), partner gRPC.
EXPOSE 8080 9443 9444
CMD ["node", "--import", "tsx", "gateway/main.ts"]
