"""Kept SQLite connections: reused between requests, never on a removed file."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from voiceproject.sqlite_backend.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backend's own behaviour"
)


@pytest.fixture
def database(tmp_path, django_db_blocker):
    """A connection of our backend to a file of its own, outside the test database."""
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as seed:
        seed.execute("CREATE TABLE t (x)")
    with django_db_blocker.unblock():
        wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path)})
        wrapper.ensure_connection()
        yield path, wrapper
        wrapper.close()


def test_a_kept_connection_is_usable_while_its_file_is_in_place(database):
    _, wrapper = database
    assert wrapper.is_usable()


def test_a_kept_connection_is_not_usable_once_its_file_is_removed(database):
    path, wrapper = database
    path.unlink()
    assert not wrapper.is_usable()


def test_a_kept_connection_is_not_usable_once_its_file_is_replaced(database):
    path, wrapper = database
    replacement = path.with_name("new.sqlite3")
    sqlite3.connect(replacement).close()
    replacement.replace(path)
    assert not wrapper.is_usable()
