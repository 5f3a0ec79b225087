"""Move MLflow's production alias to the newest trained model when it is better.

    python scripts/mlflow_promote.py [--reports reports] [--alias production]
                                     [--dry-run]

For each ``<reports>/<model type>/metrics.json`` that ``manage.py train`` wrote, the
registered model ``gender-voice-<model type>`` is looked up in the MLflow registry
of ``MLFLOW_TRACKING_URI`` (credentials from ``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD``, as MLflow reads them). The candidate is the newest
registered version whose run logged the report's held-out balanced accuracy; it
takes the alias when it beats the version the alias points at (or when no version
has it). Without ``MLFLOW_TRACKING_URI`` there is no shared registry: nothing to do.

Both scores come from the held-out speakers of their own training run: comparable
when the runs used the same dataset and seed, which ``manage.py train`` keeps by
default. Deliberately free of Django: the deploy job installs only the MLflow client.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

# As training/tracking.py registers the models and training/pipeline.py logs them.
REGISTERED_MODEL_PREFIX = "gender-voice-"
PRODUCTION_ALIAS = "production"
REPORT_METRIC = "balanced_accuracy"
LOGGED_METRIC = "test_balanced_accuracy"
VERSIONS_SEARCHED = 50


@dataclass(frozen=True)
class Decision:
    model_type: str
    action: str  # promoted | kept | current | unregistered
    score: float
    candidate: str = ""
    production: str = ""
    production_score: float | None = None

    def describe(self) -> str:
        name = f"{REGISTERED_MODEL_PREFIX}{self.model_type}"
        held = (
            "no score"
            if self.production_score is None
            else f"{self.production_score:.4f}"
        )
        if self.action == "unregistered":
            return (
                f"{name}: no registered version logged {LOGGED_METRIC}="
                f"{self.score:.4f}; nothing to promote."
            )
        if self.action == "current":
            return f"{name}: version {self.candidate} is already in production."
        if self.action == "promoted":
            before = (
                f"version {self.production} ({held})" if self.production else "none"
            )
            return (
                f"{name}: version {self.candidate} ({self.score:.4f}) promoted; "
                f"production was {before}."
            )
        return (
            f"{name}: version {self.candidate} ({self.score:.4f}) does not beat "
            f"production version {self.production} ({held}); kept."
        )


def registered_name(model_type: str) -> str:
    return f"{REGISTERED_MODEL_PREFIX}{model_type}"


def read_reports(directory: Path) -> dict[str, float]:
    """Held-out balanced accuracy per model type, from ``<type>/metrics.json``."""
    scores = {}
    for path in sorted(Path(directory).glob("*/metrics.json")):
        payload = json.loads(path.read_text())
        value = payload.get("metrics", {}).get(REPORT_METRIC)
        if isinstance(value, (int, float)) and math.isfinite(value):
            scores[payload.get("model_type") or path.parent.name] = float(value)
    return scores


def _logged_score(client, run_id: str) -> float | None:
    if not run_id:
        return None
    value = client.get_run(run_id).data.metrics.get(LOGGED_METRIC)
    return None if value is None else float(value)


def _production(client, name: str, alias: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None  # no such model or no such alias yet


def _candidate(client, name: str, score: float):
    versions = client.search_model_versions(f"name = '{name}'")
    versions = sorted(versions, key=lambda v: int(v.version), reverse=True)
    for version in versions[:VERSIONS_SEARCHED]:
        logged = _logged_score(client, version.run_id)
        if logged is not None and math.isclose(logged, score, abs_tol=1e-9):
            return version
    return None


def decide(client, model_type: str, score: float, alias: str) -> Decision:
    name = registered_name(model_type)
    candidate = _candidate(client, name, score)
    if candidate is None:
        return Decision(model_type, "unregistered", score)
    production = _production(client, name, alias)
    if production is None:
        return Decision(model_type, "promoted", score, str(candidate.version))
    held = _logged_score(client, production.run_id)
    kw = dict(
        score=score,
        candidate=str(candidate.version),
        production=str(production.version),
        production_score=held,
    )
    if str(production.version) == str(candidate.version):
        return Decision(model_type, "current", **kw)
    if held is None or score > held:
        return Decision(model_type, "promoted", **kw)
    return Decision(model_type, "kept", **kw)


def promote(
    client, scores: dict[str, float], alias: str = PRODUCTION_ALIAS, dry_run=False
) -> list[Decision]:
    decisions = []
    for model_type, score in sorted(scores.items()):
        decision = decide(client, model_type, score, alias)
        if decision.action == "promoted" and not dry_run:
            client.set_registered_model_alias(
                registered_name(model_type), alias, decision.candidate
            )
        decisions.append(decision)
    return decisions


def summary_markdown(decisions: list[Decision], alias: str) -> str:
    lines = [f"## MLflow `{alias}` alias", ""]
    lines += [f"- {decision.describe()}" for decision in decisions]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--alias", default=PRODUCTION_ALIAS)
    parser.add_argument("--dry-run", action="store_true", help="Decide, move nothing.")
    args = parser.parse_args(argv)

    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if not uri:
        print("MLFLOW_TRACKING_URI is not set: no registry to promote in.")
        return 0
    scores = read_reports(args.reports)
    if not scores:
        print(f"No {args.reports}/*/metrics.json with {REPORT_METRIC}: nothing to do.")
        return 0

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    decisions = promote(client, scores, alias=args.alias, dry_run=args.dry_run)
    for decision in decisions:
        print(decision.describe())
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as handle:
            handle.write(summary_markdown(decisions, args.alias))
    return 0


if __name__ == "__main__":
    sys.exit(main())
