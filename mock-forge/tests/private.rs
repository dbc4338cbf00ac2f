//! Private repositories: served to API requests with a token; a 404 to anonymous API requests;
//! on the web, what each forge shows a stranger (GitHub 404, GitLab 302 to `/users/sign_in`).

use aveloxis_mock_forge::{MockForge, Scenario};

use crate::support::{get, request};

const MANIFEST: &str = r#"
generate: { preset: tiny, seed: 3 }
private:
  - { repo: mock-org/tiny, web: gitlab }
  - { repo: mock-org/sidecar, web: github }
"#;

fn start() -> MockForge {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("scenario.yaml");
    std::fs::write(&p, MANIFEST).unwrap();
    MockForge::start(Scenario::load(&p).unwrap()).unwrap()
}

#[test]
fn strangers_get_what_each_forge_answers_and_keys_get_the_repository() {
    let f = start();
    let head = |name: &str| request("HEAD", &f.web_url("mock-org", name), &[], None);
    let gl = head("tiny");
    assert_eq!(gl.status, 302);
    assert_eq!(
        gl.header("location").unwrap(),
        format!("{}/users/sign_in", f.base_url())
    );
    assert_eq!(head("sidecar").status, 404);
    assert_eq!(
        head("sidecar-old").status,
        404,
        "a rename does not reveal it"
    );

    let gh = f.github_api_url();
    assert_eq!(get(&format!("{gh}/repos/mock-org/tiny"), None).status, 404);
    let side_id = f.world().repos[1].id;
    assert_eq!(
        get(&format!("{gh}/repositories/{side_id}"), None).status,
        404
    );
    let r = get(&format!("{gh}/repos/mock-org/tiny"), Some("mock-token-0"));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["private"], true);
    assert_eq!(r.json()["visibility"], "private");

    let glab = f.gitlab_api_url();
    let project = format!("{glab}/projects/mock-org%2Ftiny");
    assert_eq!(request("GET", &project, &[], None).status, 404);
    let r = request("GET", &project, &[("PRIVATE-TOKEN", "mock-token-1")], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["visibility"], "private");
    assert_eq!(r.json()["path_with_namespace"], "mock-org/tiny");
}
