"""The GitHub workflows: linted by actionlint, and doing what the README says.

Where a step's script decides something (validating the training inputs, building
the train command, naming the image), the test runs that script as GitHub would,
with the environment the workflow gives it.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: pip install -r requirements-dev.txt")
    return str(found)


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def step(workflow: dict, job: str, name_or_id: str) -> dict:
    for candidate in workflow["jobs"][job]["steps"]:
        if name_or_id in (candidate.get("name"), candidate.get("id")):
            return candidate
    raise AssertionError(f"no step {name_or_id!r} in job {job!r}")


def steps_using(workflow: dict, action: str) -> list[dict]:
    return [
        s
        for job in workflow["jobs"].values()
        for s in job.get("steps", [])
        if s.get("uses", "").split("@")[0] == action
    ]


def scripts() -> list[tuple[str, str, str]]:
    """(file, step, script) for every run: script and every github-script script."""
    found = []
    for path in WORKFLOW_FILES:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for s in job.get("steps", []):
                label = s.get("name") or s.get("id") or s.get("uses", "")
                if "run" in s:
                    found.append((path.name, label, s["run"]))
                if "script" in s.get("with", {}):
                    found.append((path.name, label, s["with"]["script"]))
    return found


def run_bash(script: str, env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """A run: script under bash as GitHub runs it, with GITHUB_OUTPUT in tmp_path."""
    script_file = tmp_path / "step.sh"
    script_file.write_text(script)
    full_env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(tmp_path / "out")}
    full_env |= {"RUNNER_TEMP": str(tmp_path)} | env
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def outputs(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "out"
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


# --- actionlint ---------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_actionlint_finds_nothing_in_the_workflow(path):
    result = subprocess.run(
        [
            tool("actionlint"),
            "-no-color",
            "-shellcheck",
            tool("shellcheck"),
            "-pyflakes",
            tool("pyflakes"),
            str(path.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_four_workflows_exist():
    assert {p.name for p in WORKFLOW_FILES} >= {
        "lint.yml",
        "test.yml",
        "train.yml",
        "deploy.yml",
    }


def test_no_linter_finding_is_silenced():
    silenced = re.compile(r"shellcheck disable|hadolint ignore|actionlint:? ?ignore")
    texts = [p.read_text() for p in WORKFLOW_FILES]
    texts.append((ROOT / "docker" / "entrypoint.sh").read_text())
    assert not any(silenced.search(text) for text in texts)
    assert not (ROOT / ".github" / "actionlint.yaml").exists()
    assert not (ROOT / ".github" / "actionlint.yml").exists()


# --- expressions and secrets ---------------------------------------------------------


def test_no_script_interpolates_a_dispatch_input():
    spliced = re.compile(r"\$\{\{\s*(github\.event\.)?inputs\.")
    assert [(f, s) for f, s, script in scripts() if spliced.search(script)] == []


def test_no_script_interpolates_any_expression():
    assert [(f, s) for f, s, script in scripts() if "${{" in script] == []


def test_every_secret_used_is_documented():
    used = {
        name
        for path in WORKFLOW_FILES
        for name in re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text())
    }
    documented = set()
    for doc in (ROOT / "README.md",):
        if doc.exists():
            for line in doc.read_text().splitlines():
                if line.lstrip().startswith("|"):
                    documented |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line))
    assert used, "the workflows use no secret at all?"
    assert sorted(used - documented) == []


def test_the_docs_show_a_badge_for_each_workflow():
    docs = (ROOT / "README.md").read_text()
    for name in ("lint", "test", "train", "deploy"):
        assert f"actions/workflows/{name}.yml/badge.svg" in docs


# --- lint.yml -------------------------------------------------------------------------


def test_lint_runs_on_push_pull_request_and_dispatch():
    assert set(triggers(load("lint.yml"))) == {
        "push",
        "pull_request",
        "workflow_dispatch",
    }


def test_lint_checks_black_isort_and_flake8():
    commands = " ".join(
        s.get("run", "") for s in load("lint.yml")["jobs"]["lint"]["steps"]
    )
    assert "black --check" in commands
    assert "isort --check-only" in commands
    assert re.search(r"^flake8", commands, re.M) or " flake8" in commands


@pytest.mark.parametrize("name", ["lint.yml", "test.yml"])
def test_pip_is_cached_on_the_dev_requirements_with_python_3_11(name):
    (setup,) = steps_using(load(name), "actions/setup-python")
    assert setup["with"] == {
        "python-version": "3.11",
        "cache": "pip",
        "cache-dependency-path": "requirements-dev.txt",
    }


def test_every_python_job_uses_python_3_11():
    versions = {
        s["with"]["python-version"]
        for path in WORKFLOW_FILES
        for s in steps_using(yaml.safe_load(path.read_text()), "actions/setup-python")
    }
    assert versions == {"3.11"}


# --- test.yml -------------------------------------------------------------------------


def test_the_suite_runs_on_sqlite_and_postgres():
    job = load("test.yml")["jobs"]["test"]
    assert job["strategy"]["matrix"]["db"] == ["sqlite", "postgres"]


def test_the_postgres_leg_gets_postgres_16_and_redis_7_services():
    services = load("test.yml")["jobs"]["test"]["services"]
    assert "matrix.db == 'postgres' && 'postgres:16'" in services["postgres"]["image"]
    assert "matrix.db == 'postgres' && 'redis:7'" in services["redis"]["image"]
    assert services["postgres"]["ports"] == ["5432:5432"]
    assert services["redis"]["ports"] == ["6379:6379"]


def test_the_postgres_leg_points_django_at_the_services():
    point = step(load("test.yml"), "test", "Point Django at PostgreSQL and Redis")
    assert point["if"] == "matrix.db == 'postgres'"
    assert (
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/gvd" in point["run"]
    )
    assert "REDIS_URL=redis://localhost:6379/0" in point["run"]


def test_the_suite_writes_junit_and_coverage_xml():
    command = step(load("test.yml"), "test", "Run the test suite")["run"]
    assert command.startswith("python -m pytest")
    assert "--junitxml=test-results.xml" in command
    assert "--cov-report=xml:coverage.xml" in command


def test_the_junit_and_coverage_reports_are_uploaded():
    (upload,) = steps_using(load("test.yml"), "actions/upload-artifact")
    assert upload["with"]["path"].split() == ["test-results.xml", "coverage.xml"]
    assert upload["if"] == "${{ !cancelled() }}"


def test_the_coverage_summary_goes_to_the_job_summary():
    summary = step(load("test.yml"), "test", "Coverage summary")["run"]
    assert "coverage report --format=markdown" in summary
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary


def test_the_suite_has_chromium_at_usr_bin_chromium():
    provide = step(load("test.yml"), "test", "Provide Chromium at /usr/bin/chromium")
    assert "apt-get install --yes --no-install-recommends chromium" in provide["run"]
    assert "/usr/bin/chromium --version" in provide["run"]


# --- train.yml ------------------------------------------------------------------------


def test_training_runs_on_data_changes_weekly_and_by_hand():
    on = triggers(load("train.yml"))
    assert on["push"] == {"paths": ["data/**"]}
    assert on["pull_request"] == {"paths": ["data/**"]}
    assert on["schedule"] == [{"cron": "0 0 * * 0"}]
    assert "workflow_dispatch" in on


def test_training_dispatch_inputs_have_their_types_and_defaults():
    inputs = triggers(load("train.yml"))["workflow_dispatch"]["inputs"]
    assert {name: (i["type"], i["default"]) for name, i in inputs.items()} == {
        "model_type": ("choice", "ALL"),
        "epochs": ("number", 30),
        "batch_size": ("number", 64),
        "learning_rate": ("number", 0.001),
        "use_feedback": ("boolean", False),
    }


def test_training_dispatch_offers_lstm_rnn_gru_and_all():
    inputs = triggers(load("train.yml"))["workflow_dispatch"]["inputs"]
    assert inputs["model_type"]["options"] == ["LSTM", "RNN", "GRU", "ALL"]


def validate(tmp_path, **inputs) -> subprocess.CompletedProcess:
    """Run the workflow's validation step (shell: python) with these inputs."""
    validation = step(load("train.yml"), "train", "params")
    assert validation["shell"] == "python"
    script = tmp_path / "validate.py"
    script.write_text(validation["run"])
    env = {name: "" for name in validation["env"]} | {"EVENT_NAME": "workflow_dispatch"}
    env |= {
        "MODEL_TYPE": "ALL",
        "EPOCHS": "30",
        "BATCH_SIZE": "64",
        "LEARNING_RATE": "0.001",
        "USE_FEEDBACK": "false",
    }
    env |= {name.upper(): str(value) for name, value in inputs.items()}
    env |= {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(tmp_path / "out")}
    return subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "inputs",
    [
        {"epochs": 10},
        {"epochs": 200},
        {"batch_size": 8},
        {"batch_size": 128},
        {"learning_rate": 0.0001},
        {"learning_rate": 0.01},
        {"model_type": "GRU", "use_feedback": "true"},
    ],
    ids=str,
)
def test_training_accepts_parameters_in_range(tmp_path, inputs):
    assert validate(tmp_path, **inputs).returncode == 0


@pytest.mark.parametrize(
    "inputs",
    [
        {"epochs": 9},
        {"epochs": 201},
        {"epochs": 30.5},
        {"batch_size": 7},
        {"batch_size": 129},
        {"learning_rate": 0.00009},
        {"learning_rate": 0.011},
        {"learning_rate": "nan"},
        {"epochs": "30; rm -rf /"},
        {"model_type": "CNN"},
        {"use_feedback": "maybe"},
    ],
    ids=str,
)
def test_training_refuses_parameters_out_of_range(tmp_path, inputs):
    result = validate(tmp_path, **inputs)
    assert result.returncode == 1
    assert "::error::" in result.stdout
    assert not (tmp_path / "out").exists()


def test_training_defaults_when_not_dispatched(tmp_path):
    result = validate(
        tmp_path,
        event_name="schedule",
        model_type="",
        epochs="",
        batch_size="",
        learning_rate="",
        use_feedback="",
    )
    assert result.returncode == 0, result.stdout
    assert outputs(tmp_path) == {
        "model_type": "all",
        "epochs": "30",
        "batch_size": "64",
        "learning_rate": "0.001",
        "use_feedback": "false",
    }


def test_training_lower_cases_the_model_type_for_the_command(tmp_path):
    validate(tmp_path, model_type="LSTM")
    assert outputs(tmp_path)["model_type"] == "lstm"


def test_training_migrates_before_it_trains():
    names = [s.get("name") for s in load("train.yml")["jobs"]["train"]["steps"]]
    prepare = step(load("train.yml"), "train", "Prepare the database")["run"]
    assert "python manage.py migrate" in prepare
    assert names.index("Prepare the database") < names.index("Train")


def train_command(tmp_path, **env) -> tuple[list[str], str]:
    """Run the Train step with a stand-in python that records what it was given."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    record = tmp_path / "argv"
    python = fake_bin / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{record}"\n'
        f'echo "${{MLFLOW_TRACKING_URI-<unset>}}" > "{record}.mlflow"\n'
    )
    python.chmod(0o755)
    train = step(load("train.yml"), "train", "Train")
    values = {
        "MODEL_TYPE": "gru",
        "EPOCHS": "30",
        "BATCH_SIZE": "64",
        "LEARNING_RATE": "0.001",
        "USE_FEEDBACK": "false",
        "MLFLOW_TRACKING_URI": "",
        "MLFLOW_TRACKING_USERNAME": "",
        "MLFLOW_TRACKING_PASSWORD": "",
    } | env
    values["PATH"] = f"{fake_bin}:{os.environ['PATH']}"
    result = run_bash(train["run"], values, tmp_path)
    assert result.returncode == 0, result.stderr
    mlflow = Path(f"{record}.mlflow").read_text().strip()
    return record.read_text().splitlines(), mlflow


def test_training_passes_the_validated_parameters_to_the_train_command(tmp_path):
    argv, _ = train_command(tmp_path, MODEL_TYPE="lstm", EPOCHS="12")
    assert argv == [
        "manage.py",
        "train",
        "--model-type",
        "lstm",
        "--epochs",
        "12",
        "--batch-size",
        "64",
        "--learning-rate",
        "0.001",
    ]


def test_training_uses_feedback_only_when_asked(tmp_path):
    argv, _ = train_command(tmp_path, USE_FEEDBACK="true")
    assert argv[-1] == "--use-feedback"


def test_training_without_the_mlflow_secret_uses_the_local_store(tmp_path):
    _, mlflow = train_command(tmp_path, MLFLOW_TRACKING_URI="")
    assert mlflow == "<unset>"


def test_training_with_the_mlflow_secret_logs_to_that_server(tmp_path):
    _, mlflow = train_command(tmp_path, MLFLOW_TRACKING_URI="https://mlflow.example")
    assert mlflow == "https://mlflow.example"


def test_training_reads_mlflow_credentials_from_secrets():
    env = step(load("train.yml"), "train", "Train")["env"]
    for name in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    ):
        assert env[name] == f"${{{{ secrets.{name} }}}}"


def test_training_keeps_models_and_metrics_for_30_days():
    uploads = {
        s["with"]["name"]: s["with"]
        for s in steps_using(load("train.yml"), "actions/upload-artifact")
    }
    assert uploads["models"]["path"] == "var/models/"
    assert uploads["training-reports"]["path"].split() == [
        "reports/*/metrics.json",
        "reports/comparison.md",
    ]
    assert {u["retention-days"] for u in uploads.values()} == {30}


def test_training_posts_the_comparison_to_the_job_summary():
    summary = step(load("train.yml"), "train", "Comparison in the job summary")
    assert summary["run"] == 'cat reports/comparison.md >> "$GITHUB_STEP_SUMMARY"'


def test_training_comments_the_comparison_on_pull_requests():
    comment = step(load("train.yml"), "train", "Comparison as a pull request comment")
    assert "github.event_name == 'pull_request'" in comment["if"]
    assert "--body-file reports/comparison.md" in comment["run"]
    assert load("train.yml")["jobs"]["train"]["permissions"]["pull-requests"] == (
        "write"
    )


# --- deploy.yml -----------------------------------------------------------------------


def test_deploy_waits_for_the_tests_on_main():
    run = triggers(load("deploy.yml"))["workflow_run"]
    assert run == {
        "workflows": [load("test.yml")["name"]],
        "types": ["completed"],
        "branches": ["main"],
    }


def test_deploy_goes_on_only_when_the_tests_succeeded():
    deploy = load("deploy.yml")
    gate = deploy["jobs"]["ready"]["if"]
    assert "github.event.workflow_run.conclusion == 'success'" in gate
    assert "github.event.workflow_run.event == 'push'" in gate
    for name, job in deploy["jobs"].items():
        if name != "ready":
            needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
            assert "ready" in needs, name


def test_deploy_runs_on_version_tags_and_by_hand():
    on = triggers(load("deploy.yml"))
    assert on["push"] == {"tags": ["v*.*.*"]}
    assert "workflow_dispatch" in on


def test_deploy_grants_each_job_only_what_it_needs():
    deploy = load("deploy.yml")
    assert deploy["permissions"] == {}
    granted = {name: job["permissions"] for name, job in deploy["jobs"].items()}
    writes = {
        (name, scope)
        for name, scopes in granted.items()
        for scope, level in scopes.items()
        if level == "write"
    }
    assert writes == {("image", "packages"), ("release", "contents")}


def image_tags(tmp_path, **env) -> subprocess.CompletedProcess:
    tags = step(load("deploy.yml"), "image", "tags")
    values = {
        "REPOSITORY": "Some-Owner/Gender-Voice",
        "COMMIT": "0123abc",
        "REF_TYPE": "branch",
        "REF_NAME": "main",
    }
    return run_bash(tags["run"], values | env, tmp_path)


def test_the_image_is_tagged_with_the_commit_and_latest_on_ghcr(tmp_path):
    assert image_tags(tmp_path).returncode == 0
    assert outputs(tmp_path)["tags"].split(",") == [
        "ghcr.io/some-owner/gender-voice:0123abc",
        "ghcr.io/some-owner/gender-voice:latest",
    ]


def test_a_version_tag_also_tags_the_image_with_the_version(tmp_path):
    image_tags(tmp_path, REF_TYPE="tag", REF_NAME="v1.2.3")
    assert outputs(tmp_path)["tags"].split(",")[-1] == (
        "ghcr.io/some-owner/gender-voice:1.2.3"
    )


def test_a_tag_that_is_no_version_stops_the_image(tmp_path):
    result = image_tags(tmp_path, REF_TYPE="tag", REF_NAME="v1.2.3$(id)")
    assert result.returncode == 1
    assert "is not a version tag" in result.stdout


def test_the_image_is_built_smoke_tested_and_pushed_to_ghcr():
    deploy = load("deploy.yml")
    names = [s.get("name") or s.get("uses") for s in deploy["jobs"]["image"]["steps"]]
    assert names.index("Build the image") < names.index(
        "Smoke-test the image (migrate, static files, model, health)"
    )
    push = step(deploy, "image", "Push the image")
    assert push["uses"].startswith("docker/build-push-action@")
    assert push["with"]["push"] is True
    assert push["with"]["tags"] == "${{ steps.tags.outputs.tags }}"
    (login,) = steps_using(deploy, "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"


def test_the_space_gets_its_secrets_through_the_environment():
    push = step(load("deploy.yml"), "space", "Push the app to the Space")
    for name in ("HF_TOKEN", "HF_USERNAME", "HF_SPACE"):
        assert push["env"][name] == f"${{{{ secrets.{name} }}}}"
    assert (
        'git push --force "https://huggingface.co/spaces/$HF_USERNAME/$HF_SPACE" main'
        in push["run"]
    )


def test_the_space_push_keeps_the_token_out_of_urls_and_the_log():
    script = step(load("deploy.yml"), "space", "Push the app to the Space")["run"]
    token_lines = [line.strip() for line in script.splitlines() if "HF_TOKEN" in line]
    assert "set -x" not in script
    assert all(
        line.startswith(("if [ -z", 'echo "password=', 'echo "::notice::'))
        for line in token_lines
    ), token_lines
    assert "HF_TOKEN@" not in script


def test_the_space_push_is_skipped_without_its_secrets(tmp_path):
    push = step(load("deploy.yml"), "space", "Push the app to the Space")
    result = run_bash(
        push["run"], {"HF_TOKEN": "", "HF_USERNAME": "", "HF_SPACE": ""}, tmp_path
    )
    assert result.returncode == 0
    assert "no Space to update" in result.stdout


def test_the_mlflow_promotion_runs_the_script_with_the_mlflow_secrets():
    promote = step(
        load("deploy.yml"), "mlflow", "Promote the model if its metrics improved"
    )
    assert promote["run"] == "python scripts/mlflow_promote.py --reports reports"
    assert set(promote["env"]) == {
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    }


def test_the_notification_is_skipped_without_a_webhook(tmp_path):
    post = step(load("deploy.yml"), "notify", "Post to the Slack or Discord webhook")
    assert post["env"]["NOTIFY_WEBHOOK_URL"] == "${{ secrets.NOTIFY_WEBHOOK_URL }}"
    result = run_bash(post["run"], {"NOTIFY_WEBHOOK_URL": ""}, tmp_path)
    assert result.returncode == 0
    assert "no notification" in result.stdout


def test_release_notes_are_generated_on_tags():
    release = load("deploy.yml")["jobs"]["release"]
    assert release["if"] == "github.ref_type == 'tag'"
    assert "gh release create" in release["steps"][0]["run"]
    assert "--generate-notes" in release["steps"][0]["run"]


# --- scripts/mlflow_promote.py -----------------------------------------------------


@functools.cache
def promote_module():
    """scripts/mlflow_promote.py, imported from its path (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location(
        "mlflow_promote", ROOT / "scripts" / "mlflow_promote.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def empty_registry(tmp_path_factory) -> Path:
    """An MLflow SQLite store with its tables, made once (creating one takes ~2 s)."""
    from mlflow.tracking import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow-template")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments()
    return folder / "mlflow.db"


class Registry:
    """A throwaway registry holding versions of gender-voice-gru."""

    def __init__(self, folder: Path, template: Path):
        from mlflow.tracking import MlflowClient

        shutil.copy(template, folder / "mlflow.db")
        self.uri = f"sqlite:///{folder / 'mlflow.db'}"
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        self.experiment = self.client.create_experiment(
            "test", artifact_location=(folder / "artifacts").as_uri()
        )
        self.client.create_registered_model("gender-voice-gru")

    def version(self, score: float, alias: str = "") -> str:
        run = self.client.create_run(self.experiment, tags={"model_type": "gru"})
        self.client.log_metric(run.info.run_id, "test_balanced_accuracy", score)
        version = self.client.create_model_version(
            "gender-voice-gru", f"{run.info.artifact_uri}/model", run.info.run_id
        )
        if alias:
            self.client.set_registered_model_alias(
                "gender-voice-gru", alias, version.version
            )
        return str(version.version)

    def production(self) -> str:
        return str(
            self.client.get_model_version_by_alias(
                "gender-voice-gru", "production"
            ).version
        )


@pytest.fixture
def registry(tmp_path, empty_registry, monkeypatch) -> Registry:
    registry = Registry(tmp_path, empty_registry)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.uri)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return registry


def write_report(folder: Path, model_type: str, balanced_accuracy: float) -> Path:
    (folder / model_type).mkdir(parents=True, exist_ok=True)
    payload = {
        "model_type": model_type,
        "metrics": {"balanced_accuracy": balanced_accuracy},
    }
    (folder / model_type / "metrics.json").write_text(json.dumps(payload))
    return folder


def test_promotion_moves_the_alias_to_a_better_model(registry, tmp_path):
    registry.version(0.90, alias="production")
    better = registry.version(0.95)
    reports = write_report(tmp_path / "reports", "gru", 0.95)
    assert promote_module().main(["--reports", str(reports)]) == 0
    assert registry.production() == better


def test_promotion_keeps_the_alias_when_the_model_is_not_better(registry, tmp_path):
    serving = registry.version(0.95, alias="production")
    registry.version(0.90)
    reports = write_report(tmp_path / "reports", "gru", 0.90)
    promote_module().main(["--reports", str(reports)])
    assert registry.production() == serving


def test_promotion_gives_the_alias_to_the_first_measured_model(registry, tmp_path):
    first = registry.version(0.80)
    reports = write_report(tmp_path / "reports", "gru", 0.80)
    promote_module().main(["--reports", str(reports)])
    assert registry.production() == first


def test_promotion_leaves_the_registry_alone_on_a_dry_run(registry, tmp_path):
    serving = registry.version(0.90, alias="production")
    registry.version(0.95)
    reports = write_report(tmp_path / "reports", "gru", 0.95)
    promote_module().main(["--reports", str(reports), "--dry-run"])
    assert registry.production() == serving


def test_promotion_ignores_a_report_no_registered_version_logged(registry, tmp_path):
    serving = registry.version(0.90, alias="production")
    reports = write_report(tmp_path / "reports", "gru", 0.99)
    promote_module().main(["--reports", str(reports)])
    assert registry.production() == serving


def test_promotion_is_skipped_without_a_tracking_server(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    reports = write_report(tmp_path / "reports", "gru", 0.95)
    assert promote_module().main(["--reports", str(reports)]) == 0
    assert "MLFLOW_TRACKING_URI is not set" in capsys.readouterr().out


def test_promotion_names_models_as_training_registers_them():
    from training import tracking

    module = promote_module()
    assert module.REGISTERED_MODEL_PREFIX == tracking.REGISTERED_MODEL_PREFIX
    assert module.PRODUCTION_ALIAS == tracking.PRODUCTION_ALIAS
