"""The sources and what they say: feature matrix, policy facts, taxonomy, settings registry, notice rules."""
