"""seqplan's version: set here only (pyproject.toml reads it, CHANGELOG.md has an entry for
it). Its own module, so that any stage can stamp it without importing the package's facade."""
__version__ = "0.3.0"
