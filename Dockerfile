# taskforce-intake — the service image.  Settings come from a mounted TOML file
# (TASKFORCE_INTAKE_CONFIG) and secrets from env vars or *_FILE (Docker secrets).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-dan tzdata \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY taskforce_intake ./taskforce_intake
COPY bot ./bot
COPY parsers ./parsers
COPY storage ./storage
COPY config ./config
COPY triage ./triage
RUN pip install . "psycopg[binary]>=3.1"

RUN useradd --system --home /var/lib/taskforce-intake intake \
 && mkdir -p /var/lib/taskforce-intake && chown intake /var/lib/taskforce-intake
USER intake
WORKDIR /var/lib/taskforce-intake
ENV TASKFORCE_INTAKE_CONFIG=/etc/taskforce-intake/intake.toml

# The web queue, with `run --serve --host 0.0.0.0` (put a TLS proxy in front; [web] secure_cookies).
EXPOSE 8080
# SIGTERM finishes the message in hand, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["taskforce-intake"]
CMD ["run", "--serve", "--host", "0.0.0.0"]
