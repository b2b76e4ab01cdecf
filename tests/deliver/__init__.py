"""Tests of newsletter.deliver."""
