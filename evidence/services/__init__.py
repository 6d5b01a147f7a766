"""Use cases, one function each: ``verb_noun(session, *, ...)``.

A service may flush but never commits: the interface (CLI command, dashboard
page, test) frames one transaction per use case, and the service writes its
audit event inside it.
"""
