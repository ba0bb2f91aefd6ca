"""The plan model -> Markdown, HTML, JSON, handouts, the brain map, files."""
