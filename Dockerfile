# syntax=docker/dockerfile:1

FROM node:24.21-bookworm-slim AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Install scripts stay off: no dependency needs one (@node-rs/argon2 ships prebuilt binaries as
# optional packages per platform), so no build toolchain is needed.
FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts

FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
# Source maps stay out of the image (10 MB; the image runs without --enable-source-maps).
RUN npm run build && rm dist/bundle/*.map

# Of the production install, only the packages the bundles load at run time, with their
# dependencies: 7 MB instead of 193 MB (scripts/runtime-modules.mjs).
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts
COPY scripts/runtime-modules.mjs ./scripts/
COPY --from=build /app/dist/bundle/external-imports.json ./dist/bundle/
RUN node scripts/runtime-modules.mjs /runtime/node_modules

FROM base AS runtime
# V8 sizes its heap from the host's memory, not the container's: unbounded, young-generation
# semi-spaces of 64 MiB and a lazily collected old space took RSS past 500 MiB under load (limit:
# 384Mi). These caps hold it near 205 MiB at about a fifth of /health/live's throughput
# (README, Performance). Raise --max-old-space-size with the pod's memory limit.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=128" \
    PORT=3000
# Files stay owned by root: the service user can read its code but never rewrite it.
COPY --from=prod-deps /runtime/node_modules ./node_modules
COPY --from=build /app/dist/bundle ./dist/bundle
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/bundle/main.js"]
