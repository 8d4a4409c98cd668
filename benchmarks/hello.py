"""A bare Flask app, the ceiling for benchmarks/http.py: `gunicorn benchmarks.hello:app`."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
