"""Drives the mock forge with PyGithub, a third-party GitHub client.

Usage: pygithub_check.py BASE_URL TOKEN SMALL_TOKEN
Prints one JSON object with what the client observed.
"""
import json
import sys

import github
from github import Auth, Github

base, token, small = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}

g = Github(base_url=base, auth=Auth.Token(token), per_page=100, retry=None)
repo = g.get_repo("mock-org/tiny")
out["full_name"] = repo.full_name
# totalCount first: after a full iteration PyGithub drops the filters from
# its follow-up request (it would count state=open only, as GitHub would).
out["issues_total_count"] = repo.get_issues(state="all").totalCount
out["issues_iterated"] = sum(1 for _ in repo.get_issues(state="all"))
out["pulls_iterated"] = sum(1 for _ in repo.get_pulls(state="all"))

# Conditional request: repeat with the ETag, expect 304.
status, headers, _ = g.requester.requestJson("GET", f"/repos/mock-org/tiny")
etag = headers.get("etag")
status2, _, _ = g.requester.requestJson("GET", f"/repos/mock-org/tiny", headers={"If-None-Match": etag})
out["etag_status"] = status2

# Rate-limit exhaustion with a small token.
gs = Github(base_url=base, auth=Auth.Token(small), retry=None)
try:
    for _ in range(10):
        gs.get_repo("mock-org/tiny")
    out["rate_limited"] = False
except github.RateLimitExceededException as e:
    out["rate_limited"] = True
    out["rate_status"] = e.status
    out["rate_reset"] = e.headers.get("x-ratelimit-reset")
print(json.dumps(out))
