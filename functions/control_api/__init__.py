"""The control plane's HTTP API (API Gateway REST, IAM authorization): the `orch` CLI's operations over HTTP."""
