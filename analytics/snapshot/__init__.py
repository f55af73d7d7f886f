"""What was known on a date: date arithmetic, the ``Snapshot`` type and the facts derived from it.

The one place that decides "what was known on a date" (``analytics.snapshot.timeline.as_known_on``).
"""
