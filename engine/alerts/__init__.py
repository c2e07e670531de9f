"""Price alerts over the store's snapshots: rules, evaluation, persistence (Qt-free)."""
