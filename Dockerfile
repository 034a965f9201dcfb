# syntax=docker/dockerfile:1
# The dancegen package image: the `dancegen` CLI and library on CPU torch. It is the base_image of the KFP
# components and runs the MLflow tracking server (charts/dancegen-mlflow; psycopg2 for a Postgres backend).
#
#   docker build -t dancegen/package:0.1.0 .
#
# Versions: the base image by exact tag, Python packages by images/constraints.txt (the tested .venv).
# No credentials are baked in: S3/MLflow keys come from Kubernetes Secrets at run time.

FROM python:3.11.14-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY dancegen ./dancegen
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11.14-slim-bookworm
# Headless EGL + Mesa llvmpipe (moderngl rendering) and libsndfile (soundfile).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libegl1 libegl-mesa0 libgl1-mesa-dri libsndfile1 \
 && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/dancegen \
    PATH=/opt/dancegen/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY images/constraints.txt /tmp/constraints.txt
RUN python -m venv /opt/dancegen \
 && pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY --from=wheel /wheels /tmp/wheels
RUN pip install -c /tmp/constraints.txt /tmp/wheels/dancegen-*.whl psycopg2-binary==2.9.13 \
 && rm -rf /tmp/wheels /tmp/constraints.txt \
 && python -c "import dancegen, kfp, mlflow; print('dancegen', dancegen.__version__)"
RUN groupadd --gid 1000 dancegen \
 && useradd --uid 1000 --gid 1000 --create-home --home-dir /home/dancegen --shell /usr/sbin/nologin dancegen
WORKDIR /home/dancegen
USER 1000:1000
ENTRYPOINT ["dancegen"]
CMD ["--help"]
