"""Package discovery; everything else is in pyproject.toml.

pyproject.toml's own `[tool.setuptools.packages.find]` names a package by its folder's path
under the search root, so it cannot find knowledge_base/ as planner.knowledge_base (the
package-dir mapping in pyproject.toml). Here both are found, none listed by hand: every
folder under planner/ (code, and data folders such as planner/web/templates), and every
folder of the four data folders, under the name it has inside planner. A new folder ships
without editing a list, and setuptools has no unlisted package to warn about.
"""
from setuptools import find_namespace_packages, setup

DATA = ("knowledge_base", "templates", "examples", "vignettes")   # mapped in [tool.setuptools.package-dir]
SKIP = ["*__pycache__*"]

packages = find_namespace_packages(include=["planner", "planner.*"], exclude=SKIP)
for top in DATA:
    packages += [f"planner.{top}"] + [f"planner.{top}.{sub}" for sub in find_namespace_packages(where=top, exclude=SKIP)]

setup(packages=packages)
