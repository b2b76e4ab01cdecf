"""The project's configuration: newsletter.yaml read, checked and typed.

settings    the schema (one typed class per section) and load_config() -> Settings
print       the print: section of the schema (paper, folds, envelope window)
validation  pydantic errors turned into the project's one-line errors, every one of them
yamlfile    YAML read with line numbers, bounded in size, depth and expansion
"""

from newsletter.config.settings import Settings, load_config

__all__ = ["Settings", "load_config"]
