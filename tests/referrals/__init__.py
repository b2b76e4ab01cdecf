"""Tests of newsletter.referrals."""
