"""Tests of newsletter.audience.importing (``newsletter import``)."""
