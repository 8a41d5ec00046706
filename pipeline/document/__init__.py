"""The trace document: what a run produced (``document``), the typed prediction views (``views``) and the
``pipeline-trace/2`` file format with its bounds (``fileformat``, ``filechecks``)."""
