# Two entry points for a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: run test venv browser model bench bench-query clean

run: $(STAMP)
	$(VENV)/bin/kg rebuild --seeds seeds --out exports

test: $(STAMP) browser
	$(VENV)/bin/pytest -q

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 'setuptools>=70.1'
	$(PY) -m pip install -q -e '.[test,dask]'
	touch $(STAMP)

# Debian's Chromium (and a CJK font for readable screenshots) for the browser tests;
# installed when root (CI), otherwise the browser tests skip with a note.
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else echo "note: chromium or CJK font missing and not root; browser tests may skip"; fi

# Retrain the NER model from data/ner/ + the lexicon (seeded; the trained model is committed in models/ner/).
model: $(STAMP)
	$(VENV)/bin/kg train

bench: $(STAMP)
	$(PY) benchmarks/bench_rebuild.py
	$(PY) benchmarks/bench_rebuild.py --model --skip-seeds

bench-query: $(STAMP)
	$(PY) benchmarks/bench_query.py

clean:
	rm -rf $(VENV) exports/*.ttl exports/*.nt exports/*.html exports/*.md exports/entities
