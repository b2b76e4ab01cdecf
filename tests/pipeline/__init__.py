"""Tests of newsletter.pipeline."""
