# AutoMechanica in a container: one image for every process (API, workers, migrations).
# The entrypoint is the `automechanica` command; compose.yaml picks each process's
# command. Point it at PostgreSQL 15+ with pgvector (AUTOMECHANICA_DATABASE_URL): the
# embedded server is for one machine, not for containers. See docs/deployment.md.
#
# Not built in this project's CI (no Docker daemon there); the scale-out path it
# packages is tested by tests/acceptance/test_multi_host.py with network namespaces.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from the pinned list in pyproject.toml, so a code change does not
# reinstall them: a stub package lets pip resolve the project without its source.
COPY pyproject.toml README.md ./
RUN mkdir automechanica && touch automechanica/__init__.py \
    && pip install . \
    && pip uninstall --yes automechanica \
    && rm -rf automechanica

COPY automechanica ./automechanica
RUN pip install --no-deps . && rm -rf build

# Never root. The data folder only holds what a process keeps locally (Qdrant's local
# mode, a generated secret key for `up`); nothing there is shared between containers.
RUN useradd --system --create-home --uid 10001 automechanica
USER automechanica
ENV AUTOMECHANICA_DATA_DIR=/home/automechanica/data \
    AUTOMECHANICA_HOST=0.0.0.0

EXPOSE 8000
ENTRYPOINT ["automechanica"]
CMD ["--help"]
