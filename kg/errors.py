"""The project's exceptions. The CLI turns each into a one-line message and an exit code.

KgError                      base; never raised itself
├── ConfigError              ontology, lexicon, shapes or model files are missing or malformed (exit 2)
├── InputError               the seeds directory is missing, empty or holds nothing readable (exit 2)
│   └── DecodeError          one file cannot be decoded as text (reported per file, the rest still built)
├── QueryError               a SPARQL query is malformed or refused (exit 2)
├── ValidationError          the built graph does not conform to the SHACL shapes (exit 1)
└── OutputError              the environment: the exports cannot be written (not a directory, read-only,
                             no space, file size limit, another rebuild holds the lock) (exit 3)
"""
from __future__ import annotations


class KgError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 2


class ConfigError(KgError):
    """Ontology, lexicon, shapes or model files are missing or malformed."""


class InputError(KgError):
    """No usable input: the seeds directory is missing, empty or unreadable."""


class DecodeError(InputError):
    """A single file could not be decoded as text (binary, empty, unknown encoding)."""


class QueryError(KgError):
    """A SPARQL query is malformed, or asks for something read-only mode refuses."""


class ValidationError(KgError):
    """The built graph does not conform to the ontology's SHACL shapes."""

    exit_code = 1


class OutputError(KgError):
    """The environment, not the input: the exports cannot be written (``--out`` is a file or under one,
    read-only, no space left, a file size limit, another rebuild holds the lock). The previous exports
    are left as they were."""

    exit_code = 3
