"""The local runtime: the synthesized app provisioned and run in-process on moto."""
