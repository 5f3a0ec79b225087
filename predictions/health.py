"""Readiness: the database answers, a production model loads, the queue is reachable."""

from __future__ import annotations

from django.db import DatabaseError, connection

from training.serving import (
    ModelUnavailable,
    production_faults,
    production_predictor,
)


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except DatabaseError as exc:
        return False, f"database unavailable: {exc}"


def _model() -> tuple[bool, str]:
    try:
        version, _ = production_predictor()
        faults = production_faults()
    except ModelUnavailable as exc:
        return False, str(exc)
    except DatabaseError as exc:
        return False, f"database unavailable: {exc}"
    if faults:
        return False, "; ".join(faults) + f" (serving {version})"
    return True, f"{version.model_type} v{version.pk}"


def _queue() -> tuple[bool, str]:
    try:
        from django_q.brokers import get_broker

        broker = get_broker()
        broker.ping()
        return True, type(broker).__name__
    except Exception as exc:  # noqa: BLE001 - any broker failure means not ready
        return False, f"queue unreachable: {exc}"


def health_report() -> dict:
    checks = {}
    for name, check in (("database", _database), ("model", _model), ("queue", _queue)):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}
