"""The models: every one of them is on the metadata that env.py hands to autogenerate."""

import json
import subprocess
import sys


def test_every_model_registers_on_the_metadata_env_py_sees():
    """pytest-alembic's experimental check, done for a MetaData in blog/extensions.py.

    In a fresh interpreter, as `flask db migrate` starts: the tables on the metadata once
    the app exists must be all there are after importing every module of the package,
    and every mapped class must be among them.
    """
    probe = """
import importlib, json, pkgutil
import blog
from blog.extensions import db
blog.create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
seen_by_env_py = sorted(db.metadata.tables)
for module in pkgutil.walk_packages(blog.__path__, "blog."):
    importlib.import_module(module.name)
mapped = sorted(mapper.local_table.name for mapper in db.Model.registry.mappers)
print(json.dumps({"env_py": seen_by_env_py, "all": sorted(db.metadata.tables), "mapped": mapped}))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    tables = json.loads(result.stdout)
    expected = ["api_tokens", "categories", "posts", "users"]
    assert tables["env_py"] == tables["all"] == tables["mapped"] == expected
