"""The web application: the health check now, the coach panel as it grows."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError


def create_web_app(*, engine: Engine, routers: Iterable[APIRouter] = ()) -> FastAPI:
    """Build the web app; the composition root adds routers such as the Telegram webhook."""
    app = FastAPI(title="Polku", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """200 when the database answers, 503 when it does not."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    for router in routers:
        app.include_router(router)
    return app
