"""Mentions: the typed names (:class:`~kg.model.Mention`) in an article's text.

:mod:`kg.mentions.lexicon` reads the curated lexicon (``ontology/lexicon.tsv``: names, aliases and classes,
never relations); :mod:`kg.mentions.finder` scans an article for its names (Aho-Corasick over the normalised
view) and adds what has a shape (process nodes, product codes, names typed by a head noun);
:mod:`kg.mentions.ner` is the trained NER model (features in :mod:`kg.mentions.ner_features`) that adds the
names the lexicon does not know; :mod:`kg.mentions.merge` joins the two, the rules winning where both
speak. (The anaphors of ``kg/mentions/context.py`` are added after this stage.)
"""
