"""The knowledge base: loading, checking, rule justifications."""
