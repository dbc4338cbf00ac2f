//! Optional endpoints: listings a repository may legitimately not have, and the answers with
//! which a forge says so (GitHub: 410 on issues when issues are disabled; 204 on contributors of
//! an empty repository, 403 "too large to list", 409 "Git Repository is empty"; 403/404 on
//! traffic without push access). Each such answer is zero items plus a [`Note`] — which endpoint,
//! which status, why — kept per repository and endpoint in `aveloxis_ops.endpoint_notes` and
//! shown by the monitor. Every other answer is still an error: only the answers an endpoint
//! declares are accepted (status, and where the status alone is ambiguous, the forge's message).

use anyhow::Result;
use sqlx::{Connection, PgConnection};

use crate::forge::client::{ForgeClient, ForgeError, Page};

/// One answer that means "none": its status, a phrase the forge's message must contain (when the
/// status alone could mean something else), and what it means.
pub(crate) struct Answer {
    pub status: u16,
    pub says: Option<&'static str>,
    pub why: &'static str,
}

/// An optional endpoint: its name in notes and the answers that mean zero items.
pub(crate) struct Optional {
    pub endpoint: &'static str,
    pub answers: &'static [Answer],
}

/// A known "none" answer of an optional endpoint, as recorded for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub endpoint: String,
    pub status: u16,
    /// What the answer means.
    pub reason: String,
    /// What the forge said (cut to 200 characters).
    pub message: String,
}

/// The status and message of an error a forge answered with (`None`: not a forge's answer).
fn answered(e: &ForgeError) -> Option<(u16, &str)> {
    Some(match e {
        ForgeError::NotFound { .. } => (404, ""),
        ForgeError::Gone { message, .. } => (410, message),
        ForgeError::NoContent { .. } => (204, ""),
        ForgeError::Forbidden {
            status, message, ..
        }
        | ForgeError::Status {
            status, message, ..
        } => (*status, message),
        _ => return None,
    })
}

impl Optional {
    /// The note for `e` when it is one of this endpoint's known answers.
    pub fn note_for(&self, e: &ForgeError) -> Option<Note> {
        let (status, message) = answered(e)?;
        let lower = message.to_lowercase();
        let a = self.answers.iter().find(|a| {
            a.status == status && a.says.is_none_or(|p| lower.contains(&p.to_lowercase()))
        })?;
        Some(Note {
            endpoint: self.endpoint.to_owned(),
            status,
            reason: a.why.to_owned(),
            message: message.to_owned(),
        })
    }

    pub(super) fn noted(&self, e: ForgeError, notes: &mut Vec<Note>) -> Result<(), ForgeError> {
        let Some(n) = self.note_for(&e) else {
            return Err(e);
        };
        tracing::info!(
            endpoint = self.endpoint,
            status = n.status,
            reason = %n.reason,
            "optional endpoint has nothing for this repository; noted"
        );
        if !notes.iter().any(|m| m.endpoint == n.endpoint) {
            notes.push(n);
        }
        Ok(())
    }

    /// The resource at `url`, or `None` (and a note) on a known answer.
    pub async fn get(
        &self,
        client: &ForgeClient,
        url: &str,
        notes: &mut Vec<Note>,
    ) -> Result<Option<Page>, ForgeError> {
        match client.get(url).await {
            Ok(p) => Ok(Some(p)),
            Err(e) => self.noted(e, notes).map(|()| None),
        }
    }
}

/// Replace the notes of `repo_id` with those of the run that just fetched it (an endpoint that
/// answers again loses its note).
pub(super) async fn record(conn: &mut PgConnection, repo_id: i64, notes: &[Note]) -> Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM aveloxis_ops.endpoint_notes WHERE repo_id = $1")
        .bind(repo_id)
        .execute(&mut *tx)
        .await?;
    let endpoints: Vec<&str> = notes.iter().map(|n| n.endpoint.as_str()).collect();
    let statuses: Vec<i16> = notes.iter().map(|n| n.status as i16).collect();
    let reasons: Vec<&str> = notes.iter().map(|n| n.reason.as_str()).collect();
    let messages: Vec<&str> = notes.iter().map(|n| n.message.as_str()).collect();
    sqlx::query(
        "INSERT INTO aveloxis_ops.endpoint_notes (repo_id, endpoint, status, reason, message)
         SELECT $1, e, s, r, nullif(m, '')
           FROM unnest($2::text[], $3::smallint[], $4::text[], $5::text[]) AS t(e, s, r, m)",
    )
    .bind(repo_id)
    .bind(&endpoints)
    .bind(&statuses)
    .bind(&reasons)
    .bind(&messages)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRIBUTORS: Optional = Optional {
        endpoint: "contributors",
        answers: &[
            Answer {
                status: 204,
                says: None,
                why: "empty",
            },
            Answer {
                status: 403,
                says: Some("too large to list"),
                why: "too large",
            },
        ],
    };

    #[test]
    fn only_declared_answers_are_notes() {
        let url = "https://h/x".to_string();
        let known = ForgeError::Forbidden {
            url: url.clone(),
            status: 403,
            message: "The history or contributor list is too large to list contributors".into(),
        };
        assert_eq!(CONTRIBUTORS.note_for(&known).unwrap().reason, "too large");
        let other_403 = ForgeError::Forbidden {
            url: url.clone(),
            status: 403,
            message: "Resource not accessible by integration".into(),
        };
        assert!(CONTRIBUTORS.note_for(&other_403).is_none());
        assert!(
            CONTRIBUTORS
                .note_for(&ForgeError::NoContent { url: url.clone() })
                .is_some()
        );
        assert!(
            CONTRIBUTORS
                .note_for(&ForgeError::NotFound { url })
                .is_none()
        );
    }
}
