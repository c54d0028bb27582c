"""Declarative form definitions and the safe relevance evaluator."""
