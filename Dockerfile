# One image for every deployable; the command picks which (posada cloud | posada edge ...).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mqtt ./mqtt
COPY edge ./edge
COPY cloud ./cloud
COPY posada ./posada
COPY provisioning ./provisioning
COPY dashboards ./dashboards
RUN pip install --no-cache-dir '.[cloud,edge]'
ENV POSADA_HTTP_HOST=0.0.0.0
EXPOSE 8000
ENTRYPOINT ["posada"]
CMD ["cloud"]
