"""The project's configuration: newsletter.yaml read, checked and typed.

settings    the schema's top level (Config), load_config() -> Settings
business, issue, delivery, print, desk, cards, personal, engage
            one section of the schema each (a typed class per mapping)
files       the data files' names
validation  pydantic errors turned into the project's one-line errors, every one of them
yamlfile    YAML read with line numbers, bounded in size, depth and expansion
"""

from newsletter.config.settings import Settings, load_config

__all__ = ["Settings", "load_config"]
