# syntax=docker/dockerfile:1
#
# One image for the whole platform: the Flask gateway (default CMD) and the five
# nameko services (intake, approval, queue, payment, monitor), which override the
# command, e.g.
#
#     python -m services.common.runner services.intake.service
#
# The HEALTHCHECK below probes the gateway's /healthz. A service container has no
# HTTP server on 8080, so docker-compose.yml overrides `healthcheck:` for each
# service (a TCP check of its metrics port), and the Kubernetes manifests define
# their own probes (Kubernetes ignores a Dockerfile HEALTHCHECK anyway).
#
# Build:  docker build -t hall-platform:0.1.0 .
#
# Stages: `builder` (the virtualenv), `frontend` (the web pages' assets, npm ci),
# `runtime` (what runs). For a release, pin the base by digest as well:
#     docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest> .

# Pinned by tag; both stages use the same base so the venv's interpreter
# symlinks (/usr/local/bin/python3.11) stay valid when the venv is copied over.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# builder: a self-contained virtualenv in /opt/venv with the project installed
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first, in a layer of their own: it is rebuilt only when
# pyproject.toml changes, not on every code edit. The pinned dependency list is
# read straight from pyproject.toml (tomllib is in the 3.11 standard library).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the project itself (`pip install .`; dependencies are already there).
# Only the importable packages the runtime needs are copied: `stack/` (the
# embedded development stack started by `make up`) has no place in the image.
COPY services/ services/
COPY gateway/ gateway/
RUN pip install --no-deps .

# ---------------------------------------------------------------------------
# frontend: the web pages' assets from web/package.json (bpmn-js for the process
# designer), installed exactly as locked. What `scripts/install.sh` copies into
# gateway/web/static/vendor for `make up`, this stage copies for the image: keep
# the two paths the same when either changes. A build step (`npm run build`)
# goes here when web/ gets one.
# ---------------------------------------------------------------------------
FROM node:22-bookworm-slim AS frontend

WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------------------
# runtime: slim image, non-root, code owned by root and read-only for the app
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# PYTHONDONTWRITEBYTECODE: the root filesystem is mounted read-only in
# Kubernetes (and in compose), so do not even try to write .pyc files.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    APP_ENV=production \
    GATEWAY_PORT=8080 \
    METRICS_PORT=9100

# Fixed uid/gid 10001 so Kubernetes can check runAsNonRoot against the numeric
# USER below and volumes can be given the matching fsGroup.
RUN groupadd --system --gid 10001 hall \
    && useradd --system --uid 10001 --gid hall --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin hall

COPY --from=builder /opt/venv /opt/venv

# The application runs from /app (the repository root): `python -m` and gunicorn
# put the working directory first on sys.path, so these copies are what gets
# imported; the packages installed in the venv carry the distribution metadata.
# BPMN models and the catalog are data read at start-up. The files stay owned
# by root: the hall user can read but not modify its own code.
WORKDIR /app
COPY services/ services/
COPY gateway/ gateway/
COPY bpmn/ bpmn/
COPY catalog/ catalog/
COPY hall/ hall/
COPY --from=frontend /web/node_modules/bpmn-js/dist/ gateway/web/static/vendor/bpmn-js/
COPY --from=frontend /web/node_modules/bpmn-js/LICENSE gateway/web/static/vendor/bpmn-js/LICENSE
COPY --from=frontend /web/node_modules/camunda-bpmn-moddle/resources/camunda.json /web/node_modules/camunda-bpmn-moddle/LICENSE gateway/web/static/vendor/camunda-bpmn-moddle/

USER 10001:10001

# 8080: gateway HTTP; 9100: Prometheus /metrics of a nameko service.
EXPOSE 8080 9100

# Gateway liveness, with the standard library only (no curl in the slim image).
# urlopen raises on connection errors and on non-2xx answers -> exit status 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# gateway/gunicorn_settings.py: one worker, 16 threads, 75 s keep-alive. On SIGTERM gunicorn stops accepting
# and lets requests in flight finish for --graceful-timeout (20 s), inside the 30 s
# termination grace period of docker-compose.yml and k8s/.
CMD ["gunicorn", "-c", "python:gateway.gunicorn_settings", "--bind", "0.0.0.0:8080", "--graceful-timeout", "20", "gateway:create_app()"]
