"""Delivery: one Transport protocol (SendGrid, SMTP), the send ledger, the print shop."""
