"""The lifecycle layer: orders the stages (provision → configure → validate) above them.

``provision/``, ``configure/`` and ``validate/`` never import one another; they meet through the
plan (what is wanted) and the deployment record (what exists and how to reach it). This package
runs ``up`` (:mod:`.pipeline` with the stage functions of :mod:`.up_stages`), ``diff``
(:mod:`.diffing`), ``down`` (:mod:`.teardown`) and renders the plan document and report.
"""
