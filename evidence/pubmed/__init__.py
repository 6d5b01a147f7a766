"""PubMed data: plain records and the code that fetches and parses them."""
