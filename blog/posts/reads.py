"""Read counts, gathered in each process and written to the database in batches.

Counted one UPDATE per page view, every post page was a write: on SQLite, writers queue for
the one write lock; on PostgreSQL, each view made a row version and a WAL record. Instead,
each process counts the reads it serves in memory and adds them to the posts' read_count
(`read_count = read_count + n`: concurrent writers never lose one) in one transaction every
READ_COUNT_FLUSH_SECONDS, from a thread of its own, and once more when the process exits.
With READ_COUNT_FLUSH_SECONDS = 0 (the tests'), each read is written before its page is
sent.

A page shows the database's count plus this process's reads not written yet, its own
included. What a crash costs: a killed worker's reads of its last READ_COUNT_FLUSH_SECONDS
(never a post). A clean shutdown (gunicorn's TERM or QUIT, a restart after max_requests)
writes every read: tests/test_load.py counts them.
"""

import atexit
import logging
import os
import threading
import time
from collections import Counter

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from blog.extensions import db
from blog.models import Post
from blog.sqlite import queued_write

log = logging.getLogger(__name__)

posts = Post.__table__.c
# Naming updated_at keeps its onupdate from firing: a read is not an edit.
ADD_READS = (
    update(Post.__table__)
    .where(posts.id == bindparam("post_id"))
    .values(read_count=posts.read_count + bindparam("reads"), updated_at=posts.updated_at)
)


class ReadCounter:
    """One process's reads not yet written, by post id."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.engine = engine
        self.seconds = seconds
        self.unwritten: Counter[int] = Counter()
        self.counting = threading.Lock()  # held for a moment, by every page view
        self.writing = threading.Lock()  # held while a batch is written
        self.process: int | None = None  # the process whose thread writes the batches
        self.failing = False

    def count(self, post_id: int) -> int:
        """Count one read of the post; this process's reads of it not yet written."""
        if self.seconds > 0 and self.process != os.getpid():
            self.start()
        with self.counting:
            self.unwritten[post_id] += 1
            unwritten = self.unwritten[post_id]
        if self.seconds <= 0:
            self.write()
        return unwritten

    def start(self) -> None:
        """The writer thread, and the write at exit, of this process (the first read in a
        worker, which gunicorn forked after the app was made). Reads counted before a fork
        are the parent's to write."""
        if self.process is not None:
            self.unwritten = Counter()
        self.process = os.getpid()
        threading.Thread(target=self.keep_writing, name="read-counts", daemon=True).start()
        atexit.register(self.write_at_exit)

    def write_at_exit(self) -> None:
        self.write()
        if self.unwritten:
            lost = self.unwritten.total()
            log.error("%d read counts lost: the database could not be written at exit", lost)

    def keep_writing(self) -> None:
        while True:
            time.sleep(self.seconds)
            try:
                self.write()
            except Exception:  # a bug must not stop the writes: the next one tries again
                log.exception("read counts not written")

    def write(self) -> None:
        """Add the reads counted so far to the database, in one transaction. If it fails
        (the database is out of reach), they are kept for the next try and it is logged,
        once until a write succeeds again."""
        with self.writing:
            with self.counting:
                batch, self.unwritten = self.unwritten, Counter()
            if not batch:
                return
            # By id: every process locks the rows in the same order, so two batches of the
            # same posts wait for each other instead of deadlocking.
            rows = [{"post_id": post_id, "reads": batch[post_id]} for post_id in sorted(batch)]
            try:
                with self.engine.connect() as connection, queued_write(connection):
                    connection.execute(ADD_READS, rows)
                    connection.commit()
            except SQLAlchemyError as error:
                with self.counting:
                    self.unwritten.update(batch)
                if not self.failing:
                    log.warning(
                        "%d read counts not written, kept for the next try: %r",
                        batch.total(),
                        error,
                    )
                self.failing = True
            else:
                self.failing = False


def count_read(post_id: int) -> int:
    """Count one read of the post, for the app's process; the post's reads not yet in the
    database, this one included (what its page adds to the count it read)."""
    counter: ReadCounter | None = current_app.extensions.get("blog.read_counter")
    if counter is None:  # setdefault: two threads' first reads share one counter
        counter = current_app.extensions.setdefault(
            "blog.read_counter",
            ReadCounter(db.engine, current_app.config["READ_COUNT_FLUSH_SECONDS"]),
        )
    return counter.count(post_id)
