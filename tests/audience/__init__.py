"""Tests of newsletter.audience."""
