"""Third-party baseline of ci/bench_crawl.sh: PyGithub fetching what `aveloxis collect --full`
fetches of one repository (the repository, releases, contributors, issues and pull requests,
each pull request's reviews, commits and files, the repository-wide conversation comments,
review comments and issue events), through the same listings at 100 per page, one request at
a time as PyGithub does. Nothing is stored; counts are printed as one JSON object.

Usage: bench_crawl.py API_URL TOKEN OWNER/NAME
"""
import json
import sys

from github import Auth, Github

api, token, full_name = sys.argv[1:4]
g = Github(base_url=api, auth=Auth.Token(token), per_page=100, retry=None,
           seconds_between_requests=0)
repo = g.get_repo(full_name)
out = {"releases": sum(1 for _ in repo.get_releases()),
       "contributors": sum(1 for _ in repo.get_contributors()),
       "issues_listing": sum(1 for _ in repo.get_issues(state="all")),
       "pulls": 0, "reviews": 0, "pull_commits": 0, "pull_files": 0}
for pull in repo.get_pulls(state="all"):
    out["pulls"] += 1
    out["reviews"] += sum(1 for _ in pull.get_reviews())
    out["pull_commits"] += sum(1 for _ in pull.get_commits())
    out["pull_files"] += sum(1 for _ in pull.get_files())
out["comments"] = sum(1 for _ in repo.get_issues_comments())
out["review_comments"] = sum(1 for _ in repo.get_pulls_review_comments())
out["events"] = sum(1 for _ in repo.get_issues_events())
print(json.dumps(out))
