"""Making a newsletter one's own: ``newsletter init`` (a new project for a business) and
``newsletter doctor`` (what must be set up before the first send)."""
