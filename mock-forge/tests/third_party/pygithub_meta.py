"""Repository metadata a PyGithub crawler reads besides issues and pulls.

Usage: pygithub_meta.py BASE_URL TOKEN OWNER/NAME
Prints one JSON object with what the client observed.
"""
import json
import sys

from github import Auth, Github

base, token, full_name = sys.argv[1], sys.argv[2], sys.argv[3]
g = Github(base_url=base, auth=Auth.Token(token), per_page=100, retry=None,
           seconds_between_requests=0)
repo = g.get_repo(full_name)
head = repo.get_commits()[0]
# PyGithub adds the request's "url" to the dict it returns.
languages = {k: v for k, v in repo.get_languages().items() if k != "url"}
out = {
    "languages": languages,
    "topics": repo.get_topics(),
    "repo_topics": repo.topics,
    "branches": [(b.name, b.commit.sha) for b in repo.get_branches()],
    "head": head.sha,
    "milestones": sum(1 for _ in repo.get_milestones(state="all")),
    "reactions": sum(sum(1 for _ in i.get_reactions()) for i in repo.get_issues(state="all")),
    "commit_comments": sum(1 for _ in repo.get_comments()),
    "head_comments": sum(1 for _ in head.get_comments()),
    "statuses": sum(1 for _ in head.get_statuses()),
    "combined_state": head.get_combined_status().state,
}
print(json.dumps(out))
