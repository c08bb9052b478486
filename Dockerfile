# news-monitor container image.
#   docker build -t news-monitor .
#   docker run -v "$PWD/deploy/monitor.yaml:/config/monitor.yaml:ro" -v news-monitor-data:/data news-monitor
# `docker run IMAGE` runs: news-monitor run -c /config/monitor.yaml --log-format json
# See deploy/README.md (and deploy/compose.yaml for the stack with PostgreSQL).

# ---- builder: install the package and its dependencies into a venv -------------------------
FROM python:3.11-slim-bookworm AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY monitor/ ./monitor/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

# ---- final: the venv, a non-root user, nothing else ------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH" \
    NEWS_MONITOR_CONFIG=/config/monitor.yaml

# user `monitor`, uid/gid 10001; /data holds the state (state: sqlite:////data/monitor.db)
RUN groupadd --system --gid 10001 monitor \
    && useradd --system --uid 10001 --gid monitor --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config \
    && chown monitor:monitor /data

COPY --from=builder /opt/venv /opt/venv

# The gazetteer's index and the parsed shipped catalogs, built once here instead of at every
# start (`news-monitor places cache`); the folder stays the monitor user's, for the index of
# imported extracts.
ENV NEWS_MONITOR_CACHE_DIR=/opt/news-monitor-cache
RUN news-monitor places cache \
    && chown -R monitor:monitor /opt/news-monitor-cache

VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

# health endpoint (/healthz, /readyz, /metrics); monitor.yaml: health: {listen: "0.0.0.0:9464"}
EXPOSE 9464

# Python only: exit 0 on 200; 503, refused or timed out raises, and Python exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys,urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=3).status == 200 else 1)"]

ENTRYPOINT ["news-monitor"]
CMD ["run", "-c", "/config/monitor.yaml", "--log-format", "json"]
