"""Tests of newsletter.cli."""
