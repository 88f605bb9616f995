"""The customer onboarding agents, dispatched by the `customer-onboarding` DAG (state_machines/*.dag.yaml)."""
