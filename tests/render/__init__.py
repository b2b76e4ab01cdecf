"""Tests of newsletter.render."""
