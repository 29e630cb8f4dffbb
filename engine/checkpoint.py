"""Moving SQLite's write-ahead log into the database file from a thread of its own.

SQLite's automatic checkpoint runs inside whichever commit crosses its threshold and syncs the
disk there, so every few dozen actions one person's click waits several milliseconds for it.
Here a background thread checkpoints instead, PASSIVE (it never blocks a reader or a writer),
every `interval` seconds; the writers' own automatic checkpoint stays as a backstop at a much
higher threshold, should this thread ever fall behind or not run.
"""

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL = 0.2
# Pages the write-ahead log may reach before a writer checkpoints it itself (SQLite's default is 1000).
BACKSTOP_PAGES = 20000
# When a writer starts the checkpointed log over, its file is cut back to this size (engine.sqlite).
LOG_SIZE_LIMIT = 64 * 1024 * 1024


class Checkpointer:
    def __init__(self, path: str, interval: float = INTERVAL):
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=0")
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as err:  # busy or briefly locked: the next round will do it
                    log.debug("checkpoint skipped: %s", err)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()
