"""A standard PyGithub crawl of one repository of the mock forge.

Usage: pygithub_crawl.py BASE_URL TOKEN OWNER/NAME
Walks the repository as a crawler does (issues with comments, events and
labels, every author's profile and organisations, pull requests with reviews,
commits and files, single commits, user search by commit e-mail) and prints
one JSON object with what it saw.
"""
import json
import sys

from github import Auth, Github

base, token, full_name = sys.argv[1], sys.argv[2], sys.argv[3]
g = Github(base_url=base, auth=Auth.Token(token), per_page=100, retry=None,
           seconds_between_requests=0)
repo = g.get_repo(full_name)
out = {"full_name": repo.full_name, "issues": 0, "comments": 0, "events": 0, "timeline": 0,
       "issue_labels": 0, "pulls": 0, "reviews": 0, "pull_commits": 0,
       "pull_files": 0, "commits": 0, "profiles": {}, "commit_authors": {},
       "searches": {}}
authors = set()


def profile(user):
    """The profile fields PyGithub completes lazily from /users/{login}."""
    if user is None or user.login in out["profiles"]:
        return
    out["profiles"][user.login] = {
        "name": user.name,
        "company": user.company,
        "location": user.location,
        "email": user.email,
        "type": user.type,
        "orgs": [o.login for o in user.get_orgs()],
    }


for issue in repo.get_issues(state="all"):
    out["issues"] += 1
    out["issue_labels"] += len(issue.labels)
    profile(issue.user)
    for c in issue.get_comments():
        out["comments"] += 1
        profile(c.user)
    for e in issue.get_events():
        out["events"] += 1
    for t in issue.get_timeline():
        out["timeline"] += 1
for pull in repo.get_pulls(state="all"):
    out["pulls"] += 1
    profile(pull.user)
    for r in pull.get_reviews():
        out["reviews"] += 1
        profile(r.user)
    out["pull_commits"] += sum(1 for _ in pull.get_commits())
    out["pull_files"] += sum(1 for _ in pull.get_files())
emails = []
for c in repo.get_commits():
    out["commits"] += 1
    one = repo.get_commit(c.sha)
    out["commit_authors"][c.sha] = one.author.login if one.author else None
    email = one.commit.author.email
    if email not in emails:
        emails.append(email)
for email in emails[:5]:
    out["searches"][email] = [u.login for u in g.search_users(email + " in:email")]
print(json.dumps(out))
