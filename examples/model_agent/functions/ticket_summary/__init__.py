"""The ticket-summary agent (examples/model_agent): summarizes a support ticket through the model-provider port."""
