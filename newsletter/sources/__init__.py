"""Where an issue's content comes from: feeds, calendars, holidays, editorials, offers."""
