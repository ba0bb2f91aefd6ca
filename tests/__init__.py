"""seqplan test suite (a package, so its conftest helpers import as tests.conftest)."""
