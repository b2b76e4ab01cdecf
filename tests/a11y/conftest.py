"""The desk's browser (Debian's Chromium through chromedriver) for the accessibility tests."""

from tests.desk.test_desk_browser import browser  # noqa: F401 - shared fixture
