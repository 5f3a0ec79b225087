"""A throw-away installation for the HTTP and start-up benchmarks.

A temporary VAR_DIR (SQLite database, media, models) migrated and given production
models the way ``scripts/start.sh`` does (``manage.py bootstrap_models``), then
gunicorn started as the README runs it: ``gunicorn voiceproject.wsgi:application
--config gunicorn.conf.py`` on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT

BOUNDARY = "----gvd-bench-boundary"
BOOTSTRAP_FROM = """
from pathlib import Path
from django.conf import settings
from training.bundled import bundled_models_install
settings.BUNDLED_MODELS_DIR = Path({folder!r})
for version in bundled_models_install():
    print("installed", version.model_type)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(folder: Path, **extra: str) -> dict:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT"):
        env.pop(name, None)
    env.update(
        {
            "VAR_DIR": str(folder / "var"),
            "REPORTS_DIR": str(folder / "reports"),
            "PROCESSED_DIR": str(folder / "processed"),
            "MLFLOW_ENABLED": "false",
            "ANON_THROTTLE_RATE": "1000000/min",  # the bench is one anonymous client
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "HOST": "127.0.0.1",
        }
    )
    env.update(extra)
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
    return result.stdout


def add_models_option(parser) -> None:
    """``--models``: the folder of artifacts :func:`prepare` installs."""
    parser.add_argument(
        "--models",
        type=Path,
        default=ROOT / "models" / "bundled",
        help="folder of artifacts to install, one per network type",
    )


def prepare(folder: Path, models: Path | None) -> dict:
    """Migrate a fresh database and install production models; returns its env."""
    env = site_env(folder)
    manage(env, "migrate", "--noinput")
    if models is None or models.resolve() == (ROOT / "models" / "bundled").resolve():
        manage(env, "bootstrap_models")
    else:
        manage(env, "shell", "-c", BOOTSTRAP_FROM.format(folder=str(models.resolve())))
    return env


class Gunicorn:
    """gunicorn with gunicorn.conf.py; its log goes to a file in the site folder."""

    def __init__(self, env: dict, folder: Path, workers: int = 2):
        self.port = free_port()
        self.env = env | {"PORT": str(self.port), "WEB_WORKERS": str(workers)}
        self.log_path = folder / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> "Gunicorn":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = (
            [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        )
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command + ["voiceproject.wsgi:application", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.log_path, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def workers(self) -> list[int]:
        """Process ids of the worker processes (children of the master)."""
        if self.process is None:
            return []
        try:
            children = Path(
                f"/proc/{self.process.pid}/task/{self.process.pid}/children"
            )
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the master only; it stops workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def multipart(data: bytes, filename: str = "clip.flac") -> tuple[bytes, str]:
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; '
            f'filename="{filename}"\r\nContent-Type: audio/flac\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def post(port: int, body: bytes, content_type: str, timeout: float = 120.0):
    """(status, JSON or None) of POST /api/predictions/; status 0: no answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/api/predictions/",
            body,
            {"Content-Type": content_type},
        )
        response = connection.getresponse()
        payload = response.read()
        try:
            return response.status, json.loads(payload)
        except ValueError:
            return response.status, None
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        connection.close()


def get(port: int, path: str, timeout: float = 10.0):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    except (OSError, http.client.HTTPException, ValueError):
        return 0, None
    finally:
        connection.close()


def wait_until_listening(port: int, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.005)
    return False


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MB."""
    rss = pss = float("nan")
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total
