"""What `flask db migrate` writes, beyond Alembic's defaults (migrations/env.py hooks)."""

from typing import Any

from blog.models import UTCDateTime


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the app's UTCDateTime in a generated revision as the types it stores.

    Otherwise autogenerate writes `blog.models.UTCDateTime()`, which the revision does not
    import; and a revision must not import the models, which change after it is written.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")'
    return False
