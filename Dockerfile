# One image for every deployable; the command picks which (posada cloud | posada edge ...).
FROM python:3.11-slim

# The system packages of the runtime group in system-packages.txt (the CJK font for invoice PDFs).
COPY system-packages.txt /tmp/system-packages.txt
RUN set -eu; \
    packages="$(sed 's/#.*//' /tmp/system-packages.txt | awk '$2 ~ /(^|,)runtime(,|$)/ {print $1}')"; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages; \
    rm -rf /var/lib/apt/lists/* /tmp/system-packages.txt

# A dedicated user; its data directories exist in the image so that a new named volume mounted on
# them starts owned by it (the cloud's signing keys, a floor gateway's store).
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/posada --shell /usr/sbin/nologin posada \
    && install -d -o posada -g posada -m 0755 /var/lib/posada /var/lib/posada/floor \
    && install -d -o posada -g posada -m 0700 /var/lib/posada/keys

WORKDIR /app
COPY pyproject.toml README.md ./
COPY mqtt ./mqtt
COPY edge ./edge
COPY cloud ./cloud
COPY firmware ./firmware
COPY posada ./posada
COPY node ./node
COPY provisioning ./provisioning
COPY dashboards ./dashboards
RUN pip install --no-cache-dir '.[cloud,edge]'

USER posada
ENV POSADA_HTTP_HOST=0.0.0.0 \
    POSADA_KEYS_DIR=/var/lib/posada/keys
EXPOSE 8000
# The cloud's /health (broker link and database); a floor gateway's service disables it.
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)"]
ENTRYPOINT ["posada"]
CMD ["cloud"]
