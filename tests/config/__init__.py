"""Tests of newsletter.config."""
