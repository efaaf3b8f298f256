# LSTM Explorer for a class on port 8501 (override with -e PORT=7860 for a Hugging Face Docker Space).
# Build: docker build -t lstm-explorer .    Run: docker run -p 8501:8501 lstm-explorer
FROM python:3.11-slim-bookworm

# Debian's Chromium draws the server-side exports (kaleido); without it the app still runs and says so.
# Debian's HAProxy: the same image runs scripts/serve.sh (every core of one container) and compose's balancer.
# bubblewrap sandboxes a learner's code on the Check page; Docker's default seccomp profile and masked /proc stop
# it, so checking stays off unless the container is run with the options docs/hosting.md names.
# fonts-noto-cjk: Chinese in the exported images.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium haproxy bubblewrap fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Spaces run the container as uid 1000; the app and its .venv belong to that user everywhere.
RUN useradd --create-home --uid 1000 app
USER app
WORKDIR /home/app/lstm-explorer
# Trainings and export slots shared by the workers of one container (or one compose volume), owned by app.
RUN mkdir -p /home/app/cache

# torch==2.13.0 from PyPI is the CUDA build (several GB of nvidia wheels). With PyTorch's CPU index added,
# pip resolves the same pin to 2.13.0+cpu (a local version ranks above the plain one), so the image stays
# CPU-only without changing requirements.txt.
ENV PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    LSTM_EXPLORER_CACHE_DIR=/home/app/cache \
    PORT=8501

# Requirements first, so editing the code does not reinstall torch. The README's own setup command:
COPY --chown=app:app requirements.txt ./
COPY --chown=app:app scripts/ scripts/
RUN ./scripts/setup.sh

COPY --chown=app:app . .

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD .venv/bin/python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/_stcore/health', timeout=4)"

# HAProxy on $PORT in front of $WORKERS Streamlit workers (default 1; give one per core the container has): a
# worker takes no visitor before it is warm (imports, Home and Gates opened once), so the first student does not
# pay for the start. .streamlit/config.toml holds the public-demo settings. `streamlit run app.py` alone (the
# README's run command) still works: docker run -p 8501:8501 lstm-explorer .venv/bin/streamlit run app.py
ENV WORKERS=1
CMD scripts/serve.sh --workers "$WORKERS" --port "$PORT" --bind 0.0.0.0
