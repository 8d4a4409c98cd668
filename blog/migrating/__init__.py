"""Schema changes on a live database: what migrations/env.py runs, and what revisions call.

- `run`: one migration run, locked, as atomic as the engine allows, polite to live traffic;
- `phases`: pre-deploy (expand) and post-deploy (contract) revisions, for `flask deploy`;
- `indexes`, `backfill`, `not_null`: the online operations a revision on a big table uses.

Released revisions import from here, so these names and what they do stay as they are: a
change of behaviour is a new function, never an edit of one a revision already calls.
"""
