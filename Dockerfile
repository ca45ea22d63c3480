# Production image: gunicorn for web, the same image runs the Celery worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# Pango and fonts for WeasyPrint's PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY manage.py ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY qualifications ./qualifications
COPY portfolios ./portfolios
COPY assessments ./assessments
COPY verification ./verification
COPY certification ./certification
COPY home ./home
COPY demo ./demo
COPY api ./api
COPY templates ./templates
COPY static ./static
COPY fixtures ./fixtures
RUN pip install .

# collectstatic imports the production settings, which refuse to load without every variable
# they require. These values are for this build step only: set on this RUN line, not ENV, so
# none is in the image, and nothing connects to them (no broker, no database, no site is asked).
# At run time compose (or the platform) gives the real ones; tests/test_deployment.py runs the
# settings with exactly these.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    CELERY_BROKER_URL=memory:// \
    SITE_URL=https://build-only.invalid \
    FIELD_ENCRYPTION_KEYS=build-only-not-a-key \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 app
USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py", "--bind", "0.0.0.0:8000"]
