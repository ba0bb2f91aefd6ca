"""One module a schema revision, oldest first; each is frozen once released."""
