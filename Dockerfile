# tgshop: one image for every role (web, bot, worker, migrate), plus the nginx front.
#
#   docker build -t tgshop .                   the application image (the last stage)
#   docker build --target nginx -t tgshop-nginx .
#
# docker-compose.yml builds both; README "Production" shows the whole stack.

# ---- build: the toolchain and the -dev packages of scripts/bootstrap ----
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev \
        libpq-dev libhiredis-dev libsodium-dev libxlsxwriter-dev libgd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY src src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTGSHOP_TESTS=OFF -DTGSHOP_BENCH=OFF \
 && cmake --build build -j "$(nproc)" \
 && strip build/tgshop

# ---- nginx: the front server with the panel's static files and deploy/nginx.conf ----
FROM debian:bookworm-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY deploy/nginx.conf /etc/nginx/nginx.conf
COPY src/web/static /srv/tgshop/static
EXPOSE 80 443
HEALTHCHECK --interval=15s --timeout=5s --retries=3 \
    CMD curl -fsS -m 4 -o /dev/null http://127.0.0.1/nginx-health || exit 1
CMD ["nginx", "-g", "daemon off;"]

# ---- runtime: only the shared libraries the binary links, and a non-root user ----
FROM debian:bookworm-slim AS app
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libcurl4 libjansson4 libsqlite3-0 libpq5 libhiredis0.14 \
        libsodium23 libxlsxwriter4 libgd3 fonts-dejavu-core ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tgshop \
 && useradd --system --uid 10001 --gid tgshop --home-dir /var/lib/tgshop --shell /usr/sbin/nologin tgshop \
 && mkdir -p /var/lib/tgshop/media /var/lib/tgshop/data \
 && chown -R tgshop:tgshop /var/lib/tgshop
# Templates, static files, locales and migrations are built into the binary: nothing
# else is read from disk but MEDIA_DIR (uploads and demo pictures).
COPY --from=build /src/build/tgshop /usr/local/bin/tgshop
USER 10001:10001
WORKDIR /var/lib/tgshop
ENV LISTEN=0.0.0.0:8000 \
    MEDIA_DIR=/var/lib/tgshop/media \
    LOG_FORMAT=json
EXPOSE 8000 9100
# Every role answers /healthz: web on LISTEN, bot and workers on OPS_LISTEN. (No
# --start-period: dockerfilelint refuses it; docker-compose.yml sets start_period.)
HEALTHCHECK --interval=15s --timeout=5s --retries=3 \
    CMD addr="${OPS_LISTEN:-$LISTEN}"; curl -fsS -m 4 -o /dev/null "http://127.0.0.1:${addr##*:}/healthz" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["tgshop"]
CMD ["run"]
