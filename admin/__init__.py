"""The coaches' web panel (FastAPI, Jinja2, htmx). For now it serves the health check."""
