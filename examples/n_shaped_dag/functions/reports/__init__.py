"""The report agents (examples/n_shaped_dag), dispatched by the report-build DAG."""
