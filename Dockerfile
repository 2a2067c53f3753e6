# taskforce-intake — the service image (the bot workers, the web app and `db upgrade` all run from it).
# Settings come from a mounted TOML file (TASKFORCE_INTAKE_CONFIG), per-environment keys and secrets
# from environment variables or *_FILE (Docker secrets): see compose.yaml and the README's "Deploying".
#
#   docker build -t taskforce-intake .                                  # Tesseract with Danish
#   docker build -t taskforce-intake --build-arg WITH_LIBREOFFICE=true . # + LibreOffice for .doc/.rtf
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the wheel and its dependencies in a virtualenv, without compilers in the final image ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY taskforce_intake ./taskforce_intake
COPY bot ./bot
COPY parsers ./parsers
COPY storage ./storage
COPY config ./config
COPY triage ./triage
RUN python -m venv /opt/taskforce-intake \
 && /opt/taskforce-intake/bin/pip install ".[postgres]"

# --- runtime: the system packages from the same script and lists `make test` installs ----------------
FROM ${PYTHON_IMAGE} AS runtime
ARG WITH_LIBREOFFICE=false
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/taskforce-intake/bin:$PATH \
    TASKFORCE_INTAKE_CONFIG=/etc/taskforce-intake/intake.toml \
    TASKFORCE_INTAKE__MONITORING__LOG_FORMAT=json
COPY scripts/ensure-system.sh /opt/setup/ensure-system.sh
COPY scripts/packages /opt/setup/packages
RUN bash /opt/setup/ensure-system.sh runtime $([ "$WITH_LIBREOFFICE" = "true" ] && echo office) \
 && rm -rf /var/lib/apt/lists/* /opt/setup
COPY --from=build /opt/taskforce-intake /opt/taskforce-intake

RUN useradd --system --uid 10001 --home /var/lib/taskforce-intake intake \
 && mkdir -p /var/lib/taskforce-intake/files /etc/taskforce-intake \
 && chown -R intake /var/lib/taskforce-intake
USER intake
# The file store (compose mounts a named volume on files/, which takes this folder's owner).
WORKDIR /var/lib/taskforce-intake

# The web app (`serve --host 0.0.0.0`; put a TLS proxy in front, [web] secure_cookies).
EXPOSE 8080
# SIGTERM finishes the message in hand, then exits.
STOPSIGNAL SIGTERM
# Healthy while the last mailbox poll is recent and the database answers (`taskforce-intake health`).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["taskforce-intake", "health"]
ENTRYPOINT ["taskforce-intake"]
CMD ["run"]
