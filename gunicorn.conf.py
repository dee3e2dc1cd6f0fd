"""Gunicorn's production settings, read from the current directory by `gunicorn config.wsgi`.

Command-line options and GUNICORN_CMD_ARGS override it (docs/deployment.md).
"""

import os
from pathlib import Path

import environ

# The same .env the settings read, so that its WEB_CONCURRENCY and GUNICORN_* count here too.
environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)

# Cores this process may use (a container's CPU set, not the host's).
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

# A sync worker serves one request at a time on one core; two per core (plus one) keep every
# core busy while requests wait on PostgreSQL. Sync workers suit a buffering proxy (nginx) in
# front; GUNICORN_THREADS > 1 switches to threaded workers. Lower WEB_CONCURRENCY when the
# Celery worker shares the machine.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * cores + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
# Only the proxy on this machine talks to gunicorn: it terminates TLS and sets X-Forwarded-Proto.
bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
# gunicorn >= 25 opens a control socket in $HOME that every instance of the user shares;
# the signals (HUP to reload, TTIN/TTOU for workers) do the same without it.
control_socket_disable = True
