# syntax=docker/dockerfile:1
# sitoo-sync's image: dependencies from hash-pinned locks, built in one stage and copied as a
# finished virtualenv into a slim runtime stage with no compilers and a non-root user.
#
#   docker build -t sitoo-sync:0.1.0 .
#
# Pin PYTHON_IMAGE by digest in production builds (python:3.11-slim-bookworm@sha256:...).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV VENV=/opt/sitoo-sync \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
# Dependencies first: this layer is rebuilt only when a lock file changes.
COPY deploy/image/ deploy/image/
RUN --mount=type=cache,target=/root/.cache/pip sh deploy/image/install.sh dependencies "$VENV"
COPY pyproject.toml README.md ./
COPY service/ service/
RUN --mount=type=cache,target=/root/.cache/pip sh deploy/image/install.sh project "$VENV" .

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="sitoo-sync" \
      org.opencontainers.image.description="Keeps a webshop and Sitoo POS in sync: orders, gift cards and stock over Redis Streams." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="docs/deployment.md"
ENV VENV=/opt/sitoo-sync
ENV PATH="${VENV}/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SITOO_SYNC_HTTP__HOST=0.0.0.0 \
    SITOO_SYNC_HTTP__PORT=8080
RUN groupadd --system --gid 10001 sitoo-sync \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin sitoo-sync
COPY --from=builder /opt/sitoo-sync /opt/sitoo-sync
# A working directory without a .env file; configuration comes from the environment and
# /run/secrets only.
WORKDIR /srv/sitoo-sync
USER 10001:10001
EXPOSE 8080
# Liveness only: readiness (/readyz) is for the orchestrator to route traffic by, not to restart by.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('SITOO_SYNC_HTTP__OPS_PORT') or os.environ.get('SITOO_SYNC_HTTP__PORT', '8080')), timeout=4)"]
ENTRYPOINT ["sitoo-sync"]
CMD ["run"]
