"""Tests of newsletter.print."""
