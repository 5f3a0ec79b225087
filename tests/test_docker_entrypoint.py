"""The container's start-up, proven without Docker (there is no engine here).

docker/entrypoint.sh runs as a subprocess with the image's layout replaced by a
temporary folder: it must migrate, collect static files, install the bundled
models and serve the health check on a free port. The Dockerfile, .dockerignore
and docker-compose.yml are checked by hadolint and by reading them.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30

pytestmark = pytest.mark.slow


def tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: pip install -r requirements-dev.txt")
    return str(found)


def bundled_models() -> list[Path]:
    return sorted((ROOT / "models" / "bundled").glob("*/meta.json"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_processes() -> dict[int, tuple[int, str]]:
    """Every live (not zombie) process: pid -> (parent pid, command line)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found[int(proc.name)] = (int(fields[1]), command)
    return found


def process_tree(pid: int) -> dict[int, str]:
    """The live descendants of a process: pid -> command line."""
    processes = live_processes()
    tree, parents = {}, {pid}
    while parents:
        children = {
            child: command
            for child, (parent, command) in processes.items()
            if parent in parents and child not in tree
        }
        tree |= children
        parents = set(children)
    return tree


def still_alive(pids) -> list[str]:
    processes = live_processes()
    return [processes[pid][1] for pid in pids if pid in processes]


class Container:
    """docker/entrypoint.sh in its own session, its state under one folder."""

    def __init__(self, folder: Path, *args: str, **env: str):
        self.folder = folder
        self.port = free_port()
        self.args = args
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "DATABASE_URL", "REDIS_URL"))
        }
        self.env |= {
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "VAR_DIR": str(folder / "var"),
            "STATIC_ROOT": str(folder / "var" / "staticfiles"),
            "MEDIA_ROOT": str(folder / "var" / "media"),
            "MODELS_ROOT": str(folder / "var" / "models"),
            "REPORTS_DIR": str(folder / "var" / "reports"),
            "PROCESSED_DIR": str(folder / "var" / "processed"),
            "MLFLOW_DIR": str(folder / "var" / "mlflow"),
            "SECRET_KEY": "entrypoint-test-only",
            "PORT": str(self.port),
            "WEB_WORKERS": "1",
            "Q_WORKERS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        } | env
        self.log_path = folder / "entrypoint.log"
        self.proc = None
        self.seen: set[int] = set()

    def start(self) -> "Container":
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(ENTRYPOINT), *self.args],
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, bytes]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def wait_for(self, ready, what: str, timeout: float = START_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"entrypoint exited ({self.proc.returncode}):\n{self.log}")
            try:
                if ready():
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        pytest.fail(f"no {what} within {timeout} s:\n{self.log[-4000:]}")

    def wait_until_serving(self) -> "Container":
        self.wait_for(lambda: self.get("/api/health/")[0] > 0, "answer")
        return self

    def children(self) -> dict[int, str]:
        """The entrypoint's live descendants, remembered for clean-up."""
        tree = process_tree(self.proc.pid)
        self.seen |= set(tree)
        return tree

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM to the main process only, as `docker stop` does; None if stuck."""
        self.children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill_group(self):
        """Whatever is left of the session and of every process seen: killed."""
        if self.proc.poll() is None:
            self.children()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in self.seen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self):
        try:
            self.terminate()
        finally:
            self.kill_group()


@pytest.fixture(scope="module")
def web_only(tmp_path_factory):
    container = Container(tmp_path_factory.mktemp("web"), RUN_WORKER="0").start()
    try:
        yield container.wait_until_serving()
    finally:
        container.stop()


def cluster_running(container: Container) -> bool:
    return re.search(r"Q Cluster .*\brunning\b", container.log) is not None


def start_web_and_worker(folder: Path) -> Container:
    container = Container(folder).start().wait_until_serving()
    container.wait_for(lambda: cluster_running(container), "running django-q cluster")
    return container


@pytest.fixture(scope="module")
def web_and_worker(tmp_path_factory):
    container = start_web_and_worker(tmp_path_factory.mktemp("all"))
    try:
        yield container
    finally:
        container.stop()


# --- the script itself ----------------------------------------------------------------


def test_the_entrypoint_is_executable():
    assert os.access(ENTRYPOINT, os.X_OK)


def test_the_entrypoint_passes_shellcheck():
    result = subprocess.run(
        [tool("shellcheck"), str(ENTRYPOINT)], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_gunicorn_never_preloads_the_application():
    code = [
        line
        for line in ENTRYPOINT.read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]
    assert not any("--preload" in line for line in code)
    effective = subprocess.run(
        [tool("gunicorn"), "voiceproject.wsgi:application", "--print-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert re.search(r"^preload_app\s+= False$", effective, re.M)


def test_other_arguments_run_as_a_command_without_preparing(tmp_path):
    container = Container(tmp_path, "python", "-c", "print('as a command')")
    result = subprocess.run(
        [str(ENTRYPOINT), *container.args],
        cwd=tmp_path,
        env=container.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "as a command\n"
    assert not (tmp_path / "var" / "db.sqlite3").exists()


# --- web only (RUN_WORKER=0) ----------------------------------------------------------


def test_the_entrypoint_migrates_the_database(web_only):
    database = web_only.folder / "var" / "db.sqlite3"
    with sqlite3.connect(database) as connection:
        (applied,) = connection.execute(
            "SELECT COUNT(*) FROM django_migrations"
        ).fetchone()
    assert applied > 0


def test_the_entrypoint_collects_static_files(web_only):
    static = web_only.folder / "var" / "staticfiles"
    assert (static / "staticfiles.json").is_file()
    assert (static / "css" / "site.css").is_file()


def test_gunicorn_serves_the_collected_static_files(web_only):
    status, body = web_only.get("/static/css/site.css")
    assert status == 200
    assert body == (ROOT / "static" / "css" / "site.css").read_bytes()


def test_the_health_check_answers_200_once_a_production_model_exists(web_only):
    if not bundled_models():
        pytest.skip("models/bundled/ holds no model yet: no production model to serve")
    status, body = web_only.get("/api/health/")
    assert status == 200, body
    assert json.loads(body)["checks"]["model"]["ok"] is True


def test_without_the_worker_gunicorn_replaces_the_entrypoint(web_only):
    commands = list(web_only.children().values())
    main = Path(f"/proc/{web_only.proc.pid}/cmdline").read_bytes()
    assert b"gunicorn" in main
    assert not any("qcluster" in command for command in commands)


# --- web and worker (the default) -----------------------------------------------------


def test_the_default_role_runs_the_worker_beside_gunicorn(web_and_worker):
    commands = list(web_and_worker.children().values())
    assert any("manage.py qcluster" in command for command in commands)
    assert any(
        "gunicorn voiceproject.wsgi:application" in command for command in commands
    )


def test_the_default_role_answers_the_health_check(web_and_worker):
    status, _ = web_and_worker.get("/api/health/")
    assert status == (200 if bundled_models() else 503)


def stop_web_and_worker(folder: Path, send) -> tuple[int | None, list[str]]:
    """Start both, ``send(container)`` the stop, then: (exit status, leftovers).

    The exit status is None when the entrypoint did not stop in time; leftovers are
    the command lines of its former children still alive after it ended.
    """
    container = start_web_and_worker(folder)
    try:
        children = container.children()
        send(container)
        try:
            returncode = container.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            returncode = None
        return returncode, still_alive(children)
    finally:
        container.kill_group()


def test_a_term_signal_stops_both_web_and_worker(tmp_path):
    returncode, leftovers = stop_web_and_worker(
        tmp_path, lambda container: container.proc.send_signal(signal.SIGTERM)
    )
    assert returncode is not None, "the entrypoint did not stop on SIGTERM"
    assert leftovers == []


def test_ctrl_c_on_a_terminal_stops_both_web_and_worker(tmp_path):
    """A terminal's Ctrl-C signals the whole foreground process group."""
    returncode, leftovers = stop_web_and_worker(
        tmp_path, lambda container: os.killpg(container.proc.pid, signal.SIGINT)
    )
    assert returncode is not None, "the entrypoint did not stop on Ctrl-C"
    assert leftovers == []


def test_a_second_term_while_stopping_does_not_hang_the_worker(tmp_path):
    def twice(container):
        container.proc.send_signal(signal.SIGTERM)
        container.proc.send_signal(signal.SIGTERM)

    returncode, leftovers = stop_web_and_worker(tmp_path, twice)
    assert returncode is not None, "the entrypoint did not stop"
    assert leftovers == []


def test_the_worker_role_runs_only_the_cluster(tmp_path):
    migrate = Container(tmp_path, "python", "manage.py", "migrate", "--noinput")
    subprocess.run(
        [str(ENTRYPOINT), *migrate.args],
        cwd=tmp_path,
        env=migrate.env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    container = Container(tmp_path, "worker").start()
    try:
        container.wait_for(
            lambda: cluster_running(container), "running django-q cluster"
        )
        main = Path(f"/proc/{container.proc.pid}/cmdline").read_bytes()
        commands = list(container.children().values())
    finally:
        container.stop()
    assert b"qcluster" in main
    assert not any("gunicorn" in command for command in commands)


# --- Dockerfile -----------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def instructions(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile_instructions() if kw == keyword]


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_image_builds_in_two_stages_on_python_3_11_slim():
    assert instructions("FROM") == ["python:3.11-slim AS builder", "python:3.11-slim"]
    assert "--from=builder /opt/venv /opt/venv" in instructions("COPY")


def test_the_image_runs_as_a_non_root_user():
    user = instructions("USER")[-1]
    assert user.split(":")[0] not in ("root", "0")


def test_the_image_checks_health_on_the_health_endpoint():
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "http://127.0.0.1:%s/api/health/" in healthcheck
    assert "'PORT', '7860'" in healthcheck


def test_the_image_serves_on_port_7860():
    assert instructions("EXPOSE") == ["7860"]
    assert any("PORT=7860" in env for env in instructions("ENV"))


def test_the_image_starts_with_the_entrypoint_script():
    assert instructions("ENTRYPOINT") == ['["docker/entrypoint.sh"]']


def test_numba_caches_in_a_folder_the_app_user_can_write():
    (env,) = [e for e in instructions("ENV") if "NUMBA_CACHE_DIR" in e]
    cache = re.search(r"NUMBA_CACHE_DIR=(\S+)", env).group(1)
    owned = " ".join(r for r in instructions("RUN") if "chown app:app" in r)
    assert any(cache.startswith(folder) for folder in owned.split() if "/" in folder)


# --- .dockerignore and compose --------------------------------------------------------


def ignored(path: str) -> bool:
    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in patterns if p.strip() and not p.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
        or fnmatch.fnmatch(parts[-1], pattern.removeprefix("**/"))
        for pattern in patterns
        for prefix in prefixes
    )


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        "var/db.sqlite3",
        "data/processed/cache.npz",
        "reports/comparison.md",
        ".git/HEAD",
        "tests/test_workflows.py",
        "training/__pycache__/models.cpython-311.pyc",
    ],
)
def test_the_build_context_leaves_out_local_state_and_tests(path):
    assert ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "docker/entrypoint.sh",
        "models/bundled/gru/model.tflite",
        "data/raw/speechocean762-adults/manifest.csv",
        "static/css/site.css",
        "requirements.txt",
    ],
)
def test_the_build_context_keeps_what_the_image_needs(path):
    assert not ignored(path)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_worker_postgres_and_redis():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "postgres", "redis"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"


def test_compose_leaves_the_worker_to_its_own_service():
    services = compose()["services"]
    assert services["web"]["environment"]["RUN_WORKER"] == "0"
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_compose_configures_database_queue_and_secret_key():
    for name in ("web", "worker"):
        environment = compose()["services"][name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/gvd")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_compose_shares_var_between_web_and_worker():
    services = compose()["services"]
    assert services["web"]["volumes"] == ["app-var:/app/var"]
    assert services["worker"]["volumes"] == ["app-var:/app/var"]
    assert "app-var" in compose()["volumes"]
