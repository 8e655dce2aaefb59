# syntax=docker/dockerfile:1
# Smart City Connect (citybot): one image for web, delivery workers and scheduler.
# Build: docker build -t citybot .   Run: docker run --env-file .env -p 8080:8080 citybot
# Production sets DATABASE_URL to PostgreSQL; the SQLite default below is for a quick look only.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/citybot
WORKDIR /src
# Dependencies first, pinned by the lock, so a code change does not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /opt/citybot/bin/pip install -r /tmp/requirements.txt -c constraints.txt
COPY bot ./bot
COPY handlers ./handlers
COPY db ./db
RUN /opt/citybot/bin/pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/citybot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHAINLP_OFFLINE=1 \
    PYTHAINLP_READ_ONLY=1 \
    CITYBOT_ENV=production \
    CITYBOT_CONTENT_DIR=/app/content \
    CITYBOT_MEDIA_DIR=/data/media \
    DATABASE_URL=sqlite+aiosqlite:////data/citybot.db
RUN groupadd --system --gid 10001 citybot \
    && useradd --system --uid 10001 --gid citybot --home-dir /app --shell /usr/sbin/nologin citybot \
    && mkdir -p /app /data \
    && chown citybot:citybot /data
COPY --from=build /opt/citybot /opt/citybot
COPY content /app/content
WORKDIR /app
USER citybot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
# Migrations run before the server starts, never from inside it (docs/deployment.md).
CMD ["sh", "-c", "citybot db upgrade && exec citybot serve --host 0.0.0.0 --port 8080"]
