# The desk (`newsletter serve`) for a container host: the package, and nothing personal.
# The project folder (newsletter.yaml, templates/, content/, subscribers/ and state/) is
# mounted at /project; the inbox is written to /project/state/desk/inbox.sqlite. Secrets
# come from the environment only: NEWSLETTER_SECRET, NEWSLETTER_DESK_TOKEN,
# SENDGRID_WEBHOOK_PUBLIC_KEY, and SENDGRID_API_KEY or SMTP_HOST/SMTP_PORT/SMTP_USERNAME/
# SMTP_PASSWORD for the notification emails. See README.md, "The desk".
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NEWSLETTER_CONFIG=/project/newsletter.yaml

RUN useradd --create-home --uid 10001 desk
WORKDIR /src
COPY pyproject.toml README.md ./
COPY newsletter ./newsletter
# What `newsletter init` copies into a new project (linked from newsletter/skeleton/): the
# wheel carries a copy, so the package is the same wherever it is built.
COPY templates ./templates
COPY scripts ./scripts
COPY .github/workflows ./.github/workflows
RUN pip install . && rm -rf /src

USER desk
WORKDIR /project
VOLUME ["/project"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# desk.public_url in the mounted newsletter.yaml (or NEWSLETTER_DESK_URL) is the public https
# address; NEWSLETTER_DESK_PROXIES names the reverse proxy whose X-Forwarded-For is believed.
CMD ["newsletter", "serve", "--host", "0.0.0.0", "--port", "8080"]
