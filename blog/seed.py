"""`flask seed`: demo content for the current environment's database."""

import click


@click.command("seed")
def seed() -> None:
    """Fill the database with demo posts and categories (not written yet)."""
    raise click.ClickException("flask seed is not written yet")
