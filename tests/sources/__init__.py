"""Tests of newsletter.sources."""
