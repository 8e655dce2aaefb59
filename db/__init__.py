"""Persistence: models, sessions, repositories and Alembic migrations."""
