"""Ingest: from the input directory to documents and their articles.

:mod:`kg.ingest.inputs` finds the files under ``--seeds`` (subdirectories too; hidden, special, unreadable
and never-text files are skipped with a note) and reads each into a :class:`~kg.model.Document`;
:mod:`kg.ingest.decode` turns its bytes into text (UTF-8, UTF-16, GB18030, Big5, detected per file);
the format's reader in :mod:`kg.ingest.readers` (one module and one registry row per format) gives the text
to analyse, of the same length; :mod:`kg.ingest.documents` repairs it, cuts the page into articles, keeps
those about GPUs and compute, and splits them into sentences. Every offset still points into the file.
"""
