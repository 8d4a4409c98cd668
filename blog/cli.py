"""The blog's own `flask` commands."""

from flask import Flask

from blog.seed import seed


def register_commands(app: Flask) -> None:
    """Add `flask seed` to the app's command line."""
    app.cli.add_command(seed)
