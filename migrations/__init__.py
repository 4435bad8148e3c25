"""Numbered SQL migrations, one directory per backend; applied by ``engine.store.migrate``."""
