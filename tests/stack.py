"""The product as it runs: gunicorn and the django-q2 cluster as real processes.

Used by the end-to-end tests: a temporary VAR_DIR with its own SQLite database (or the
database DATABASE_URL names), the shipped models bootstrapped, a staff token.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, folder: Path, **env: str):
        self.folder = folder
        self.port = free_port()
        self.env = (
            os.environ
            | {
                "VAR_DIR": str(folder / "var"),
                "REPORTS_DIR": str(folder / "reports"),
                "PROCESSED_DIR": str(folder / "processed"),
                "ANON_THROTTLE_RATE": "100000/min",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "DJANGO_SUPERUSER_PASSWORD": "operator-password-1",
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "ACCESS_LOG": "0",
                "Q_WORKERS": "2",
            }
            | env
        )
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.processes: list[subprocess.Popen] = []
        self.token = ""
        self.database = ""
        # Its own queue on a shared Redis, its own database on a shared PostgreSQL.
        self.env["Q_CLUSTER_NAME"] = f"stack-{self.port}"
        url = self.env.get("DATABASE_URL", "")
        if url.startswith("postgres"):
            self.database = f"gvd_stack_{self.port}"
            _postgres(url, f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + self.database

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
        return result.stdout

    def _spawn(self, *args: str, log: str) -> subprocess.Popen:
        handle = open(self.folder / log, "wb")
        process = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start(self, worker: bool = True) -> "Stack":
        self.manage("migrate", "--noinput")
        self.manage("bootstrap_models")
        self.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "operator",
            "--email",
            "operator@example.org",
        )
        self.token = self.manage("drf_create_token", "operator").split()[2]
        self._spawn(
            sys.executable,
            "-m",
            "gunicorn",
            "voiceproject.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--no-control-socket",
            log="web.log",
        )
        if worker:
            self.start_worker()
        self.wait_for(
            lambda: self.get("/api/health/")[0] in (200, 503), 60, "the web server"
        )
        return self

    def start_worker(self) -> subprocess.Popen:
        return self._spawn(sys.executable, "manage.py", "qcluster", log="worker.log")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # the main process only
        deadline = time.monotonic() + 20
        for process in self.processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.database:
            _postgres(
                self.env["DATABASE_URL"],
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            )

    # --- HTTP -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        auth: bool = False,
    ):
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = f"Token {self.token}"
        req = urllib.request.Request(self.url + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            data = exc.read()
            try:
                return exc.code, json.loads(data)
            except ValueError:
                return exc.code, data.decode(errors="replace")
        except (urllib.error.URLError, ConnectionError):
            return 0, None

    def get(self, path: str, auth: bool = False):
        return self.request("GET", path, auth=auth)

    def post_json(self, path: str, data: dict, auth: bool = False):
        return self.request(
            "POST",
            path,
            json.dumps(data).encode(),
            {"Content-Type": "application/json"},
            auth=auth,
        )

    def post_audio(self, path: str, audio: bytes, filename: str = "clip.flac"):
        boundary = "----gvd-test-boundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; '
                f'filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + audio
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST",
            path,
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    @staticmethod
    def wait_for(condition, seconds: float, what: str, every: float = 0.25):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(every)
        raise TimeoutError(f"waited {seconds} s for {what}")


def _postgres(url: str, statement: str) -> None:
    """Run one statement on the server of ``url`` (from its maintenance database)."""
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)


def training_pids(run_id: int) -> list[int]:
    """PIDs of the subprocess that executes a run (found by its command line)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"execute_training_run" in cmdline and str(run_id).encode() in cmdline:
            pids.append(int(entry.name))
    return pids
