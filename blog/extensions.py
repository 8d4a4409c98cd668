"""Flask extensions, created bare here and bound to an app in `create_app`."""

from typing import TYPE_CHECKING
from typing import ClassVar

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from config import STANDALONE

# Every constraint and index gets a predictable name, so any migration can drop or alter
# it later, on every database (SQLite included, where batch mode recreates tables by name).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class. A type checker cannot take an attribute such as db.Model for a
# base class, so it is told what db.Model is: Flask-SQLAlchemy's Model (`query`) on a
# declarative base with Base's metadata (Flask-SQLAlchemy builds it from Base's bases).
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as FlaskSQLAlchemyModel

    class Model(FlaskSQLAlchemyModel, Base):
        __abstract__ = True
        # Each model maps one Table (SQLAlchemy allows any FromClause, such as a join),
        # which insert() and update() take.
        __table__: ClassVar[Table]

else:
    Model = db.Model


def standalone_engine() -> Engine:
    """The engine for a statement that stands alone (config.engine_binds): PostgreSQL's
    own bind for it, or the app's engine on other databases."""
    return db.engines.get(STANDALONE, db.engine)


csrf = CSRFProtect()
login_manager = LoginManager()
# Pages that need a signed-in user send others here, with `?next=` to come back.
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to write."
login_manager.login_message_category = "info"
