//! [`Secret`]: a string that is never printed, and [`scrub`] for messages that might echo one.

use std::fmt;

use serde::Deserialize;

/// A string that is never printed.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

/// Why `token` cannot be an API key (empty, or whitespace or control characters in it, which no
/// forge issues and which would break the header it is sent in); `None` when it can.
pub fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("the token is empty")
    } else if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("the token contains whitespace or control characters")
    } else {
        None
    }
}

/// Remove a secret from a message, in case a library echoes it.
pub fn scrub(message: &str, secret: &str) -> String {
    if secret.is_empty() {
        message.to_owned()
    } else {
        message.replace(secret, "***")
    }
}
