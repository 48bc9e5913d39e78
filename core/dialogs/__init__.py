"""Self-assessment dialogues: the schema of the YAML files, their validation, and the engine."""
