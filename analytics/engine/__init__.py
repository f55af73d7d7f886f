"""Partitioned engines: the same pandas code per partition of firms (``analytics.engine.partition``),
run on a Dask cluster by ``analytics.engine.dask_engine`` (imported only when ``--engine dask`` is
asked: this package never imports dask at its top)."""
