"""Tests of newsletter.report."""
