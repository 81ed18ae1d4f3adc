# The Ops Academy platform itself (web and worker), for docker-compose.yml.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates nodejs npm make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/academy
COPY pyproject.toml package.json package-lock.json Makefile ./
COPY app ./app
RUN python3 -m venv .venv && .venv/bin/pip install --no-cache-dir . \
 && mkdir -p app/static/vendor && make app/static/vendor/.installed
COPY curriculum ./curriculum
COPY labs ./labs
COPY migrations ./migrations
ENV ACADEMY_ENV=production PATH=/srv/academy/.venv/bin:$PATH
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", \
     "--threads", "16", "--access-logfile", "-", "app:create_app()"]
