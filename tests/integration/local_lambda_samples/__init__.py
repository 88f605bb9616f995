"""Test-only handler code for the local Lambda runtime (loaded from this folder as a function's code asset)."""
