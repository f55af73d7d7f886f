"""The ``saferank`` command line and the demo: the edge above both ``analytics`` and ``dashboard``."""
