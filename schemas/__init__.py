"""Event contracts: pydantic models are the source of truth for every event on the bus.

Import from the modules (`schemas.catalog`, `schemas.envelope`, ...): the package itself imports nothing, so a
handler that needs one module (the table keys, the breaker rules) does not build every event model at its cold start.
"""
