"""Mounts the console on the API's FastAPI app: its pages under /console and its static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from common.vietnamese import format_date, format_datetime
from console.routes import build_router

HERE = Path(__file__).parent


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["d"] = lambda v: format_date(v) if v else ""
    env.filters["dt"] = lambda v: format_datetime(v) if v else ""
    env.filters["pct"] = lambda v: f"{round(100 * float(v or 0))}%"
    return templates


def mount_console(app: FastAPI) -> None:
    app.state.console_templates = build_templates()
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.include_router(build_router())
