"""A bare Flask app, the ceiling for benchmarks/pages.py: `gunicorn benchmarks.hello:app`."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
