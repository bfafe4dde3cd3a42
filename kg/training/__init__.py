"""Training and held-out evaluation of the models (``kg train``); they need a checkout, not only the package.

:mod:`kg.training.train` builds the NER model's training set (gold, seeds, silver, augmentation) and trains
it, and is the entry point that retrains both models; :mod:`kg.training.relation_training` makes the relation
model's labelled pairs from articles read exactly as a build reads them, and fits it;
:mod:`kg.training.ner_eval` scores the NER model on held-out articles (leave-one-out, k-fold) and chooses
its confidence threshold. A build never imports this package.
"""
