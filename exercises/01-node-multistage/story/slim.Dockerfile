# Harbour master — the middle step of the card's story (full → slim → distroless), measured in
# the chapter on base images: the same build stage as the reference solution, shipped on the
# slim Node image instead of distroless. Smaller than the starter, and it runs unprivileged, but
# it still ships a shell, apt and npm: the checker fails it on those.

# ---- build stage: the same as the reference solution's ----
FROM node:24-trixie AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY vendor/ ./vendor/
RUN npm ci --offline --no-audit --no-fund
COPY scripts/ ./scripts/
COPY src/ ./src/
RUN npm run build \
 && npm prune --omit=dev --offline --no-audit --no-fund

# ---- final stage: Debian minimal plus Node, npm and a shell ----
FROM node:24-trixie-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The Node images carry an unprivileged `node` user (uid 1000); on Alpine the card creates one
# with `addgroup -S app && adduser -S app -G app`, on Debian that is
# `groupadd --system app && useradd --system --gid app --no-create-home app`.
USER node
CMD ["node", "dist/server.js"]
