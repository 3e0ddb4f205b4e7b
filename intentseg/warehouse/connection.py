"""Database URLs and engines (SQLAlchemy): credentials from the environment, never from params or git."""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from intentseg.config.base import section_error
from intentseg.foundation.errors import ConfigError, WarehouseError

SUPPORTED_URLS = "duckdb:///path/to/file.duckdb, postgresql+psycopg://user@host:5432/database"


def url_problems(url: str) -> list[str]:
    """What is wrong with a configured database URL (a password in it, or a form SQLAlchemy cannot read)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return [f"url: {url!r} is not a database URL (e.g. {SUPPORTED_URLS})"]
    found = []
    if parsed.password is not None:
        found.append(
            f"url: {parsed.render_as_string(hide_password=True)!r} contains a password; params.yaml is in git, so "
            "remove it and name the environment variable that holds it in password_env"
        )
    return found


def check_database_url(section: str, where: str, url: str | None) -> None:
    """Refuse a configured URL that :func:`url_problems` finds wrong, in the section's message format."""
    problems = url_problems(url) if url else []
    if problems:
        raise section_error(section, [f"{where}.{problem}" for problem in problems])


def shown(url: str | URL) -> str:
    """The URL as it may appear in logs and metrics (never a password)."""
    return make_url(url).render_as_string(hide_password=True)


def with_password(url: str, password_env: str | None) -> URL:
    """The URL with the password read from the environment variable ``password_env`` (if one is named)."""
    parsed = make_url(url)
    if password_env is None:
        return parsed
    password = os.environ.get(password_env)
    if password is None:
        raise ConfigError(
            f"the environment variable {password_env} (password_env for {shown(parsed)}) is not set; "
            f"export {password_env}=... before running"
        )
    return parsed.set(password=password)


def open_engine(url: str, password_env: str | None) -> sa.Engine:
    """A SQLAlchemy engine for ``url``; one clear error when the driver is missing or the server is unreachable."""
    full = with_password(url, password_env)
    try:
        engine = sa.create_engine(full)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        raise ConfigError(
            f"no database driver for {shown(full)} ({error}); supported out of the box: {SUPPORTED_URLS}"
        ) from None
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        engine.dispose()
        raise WarehouseError(f"cannot connect to {shown(full)}: {first_line(error.orig)}") from None
    return engine


def first_line(error: BaseException | None) -> str:
    """The database's own message, first line only (drivers append context and SQL)."""
    text = str(error).strip() if error is not None else "unknown error"
    return text.splitlines()[0] if text else type(error).__name__


def database_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the database refused": SQLAlchemy's, pandas' wrapper of them, DuckDB's own."""
    import duckdb
    import pandas as pd

    return (sa.exc.DBAPIError, pd.errors.DatabaseError, duckdb.Error)


def database_reason(error: BaseException) -> str:
    """The database's own words for ``error`` (unwrapping pandas' and SQLAlchemy's wrappers)."""
    cause = error.__cause__ if not isinstance(error, sa.exc.DBAPIError) and error.__cause__ is not None else error
    return first_line(cause.orig if isinstance(cause, sa.exc.DBAPIError) else cause)
