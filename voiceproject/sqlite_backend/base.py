"""SQLite, with persistent connections that notice when their file goes away.

Opening a connection per request (with its WAL and synchronous pragmas) cost about
1 ms of a prediction's 20. A kept connection, though, holds the file it opened: if
the database file is removed or replaced, it would go on reading and writing the
old one. So a kept connection is used again only while the path still names the
file it opened (same device and inode); otherwise Django opens a new one. This is
the health check Django runs at the start of each request (CONN_HEALTH_CHECKS).
"""

from __future__ import annotations

import os

from django.db.backends.sqlite3 import base


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class DatabaseWrapper(base.DatabaseWrapper):
    file_identity: tuple[int, int] | None = None

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.file_identity = _identity(str(self.settings_dict["NAME"]))
        return connection

    def is_usable(self) -> bool:
        if self.is_in_memory_db():
            return True
        identity = _identity(str(self.settings_dict["NAME"]))
        return identity is not None and identity == self.file_identity
