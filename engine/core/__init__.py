"""Plumbing every engine part shares: task ownership and cancellation, atomic file writes."""
