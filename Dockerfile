# The Ops Academy platform for docker-compose.yml: one image for the web process (gunicorn), the
# sandbox worker, the terminal sockets server and the front proxy (nginx).
#
# Built with no registry and no HTTPS from inside the build (containers here do not trust the
# machine's proxy): the base is debian:bookworm-slim (scripts/setup-system.sh makes it with
# debootstrap when no registry answers), system packages come from Debian over plain HTTP, the
# Python packages from the wheels `make compose-context` puts in build/compose/wheels (the
# versions installed in .venv), the front-end files from app/static/vendor (made by `make deps`).
FROM debian:bookworm-slim
# tini: signals reach the process (graceful stops); nginx-light: the front proxy; e2fsprogs and
# iptables: the worker's capped sandbox disks (mkfs.ext4; losetup is in the base) and firewall.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv tini nginx-light e2fsprogs iptables \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /srv/academy --no-create-home \
      --shell /usr/sbin/nologin academy

COPY build/compose/wheels /tmp/wheels
RUN python3 -m venv /opt/academy \
 && /opt/academy/bin/pip install --quiet --no-cache-dir --no-index --find-links /tmp/wheels \
      /tmp/wheels/*.whl \
 && rm -rf /tmp/wheels

# The platform is installed editable from its own tree, as in development: it finds migrations/,
# curriculum/ and labs/ beside app/ (a plain install would look for them in site-packages).
WORKDIR /srv/academy
COPY pyproject.toml ./
COPY app ./app
COPY migrations ./migrations
COPY curriculum ./curriculum
COPY labs ./labs
COPY deploy/platform/nginx.conf /etc/nginx/academy.conf
COPY deploy/platform/healthz.py /usr/local/bin/academy-healthz
RUN /opt/academy/bin/pip install --quiet --no-cache-dir --no-index --no-deps \
      --no-build-isolation -e . \
 && test -f app/static/vendor/xterm.js \
 && install -d -m 755 /var/lib/academy /run/academy

ENV PATH=/opt/academy/bin:$PATH \
    ACADEMY_ENV=production \
    ACADEMY_INSTANCE_DIR=/var/lib/academy \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER academy
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", \
     "--threads", "16", "--graceful-timeout", "30", "--no-control-socket", "--access-logfile", "-", "app:create_app()"]
