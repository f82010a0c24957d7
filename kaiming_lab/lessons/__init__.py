"""Scaffolding for the notebooks: what one notebook computes, checks or draws.

Nothing here is meant for reuse outside the course. One module per notebook,
named after it (``nb03_sums`` belongs to ``notebooks/03_variance_of_a_sum.ipynb``),
plus two shared by several notebooks:

- ``checks``: :class:`~kaiming_lab.lessons.checks.CheckResult` and the number
  comparison every exercise check uses;
- ``plots``: figures drawn by more than one notebook.

Importing this package imports none of its modules.
"""
