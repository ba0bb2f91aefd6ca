"""From a file or a mapping to a validated assessment."""
