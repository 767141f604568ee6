"""Parse results cross process boundaries (parse workers, the archive writer, re-parse workers):
pickling must give back exactly the same result."""

from __future__ import annotations

import pickle

from shared_data import SEEDS

from crawler.parsing import parse_document


def test_a_parsed_report_survives_pickling_unchanged():
    path = sorted(SEEDS.glob("*.txt"))[0]
    parsed = parse_document(path.read_bytes(), "http://127.0.0.1/seed.txt", {"content-type": "text/plain; charset=utf-8"})
    assert parsed.cells and parsed.checks  # a real report, with cells and checks to carry
    back = pickle.loads(pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == parsed
    assert repr(back) == repr(parsed)
    assert back.to_record(url=None, capture=None) == parsed.to_record(url=None, capture=None)
    assert all(type(c).__name__ == "Cell" for c in back.cells.values())
