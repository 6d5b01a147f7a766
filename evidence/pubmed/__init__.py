"""PubMed XML: plain records and the streaming parser that produces them."""
