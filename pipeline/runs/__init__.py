"""Runs: the run cache (``cache``), the training pool and its worker processes (``pool``, ``worker``), and the
work budget (``budget``)."""
