"""Risk models: the office's scorecard, learned models, explanations and the registry."""
