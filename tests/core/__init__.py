"""Tests of the family-agnostic core, data and evaluation code."""
