"""Use cases: what the CLI, the handlers and the jobs do, over the rules and the store."""
