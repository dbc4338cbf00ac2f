//! Deterministic contributor ids, byte-compatible with Augur's `GithubUUID`.
//!
//! Layout (16 bytes, shown as a UUID): byte 0 is the platform id (1 GitHub, 2 GitLab), bytes
//! 1–4 the forge user id big-endian, the rest zero. User ids that do not fit in 32 bits use
//! bytes 1–8 (big-endian u64), as upstream Aveloxis extended it; ids below 2^32 keep Augur's
//! exact bytes, so contributors imported from Augur keep their ids.

use uuid::Uuid;

/// Platform ids as seeded in `aveloxis_data.platforms`.
pub const PLATFORM_GITHUB: u8 = 1;
pub const PLATFORM_GITLAB: u8 = 2;

/// The contributor id of forge user `user_id` on `platform`.
pub fn contributor_id(platform: u8, user_id: u64) -> Uuid {
    let mut b = [0u8; 16];
    b[0] = platform;
    match u32::try_from(user_id) {
        Ok(small) => b[1..5].copy_from_slice(&small.to_be_bytes()),
        Err(_) => b[1..9].copy_from_slice(&user_id.to_be_bytes()),
    }
    Uuid::from_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_augur_ground_truth() {
        assert_eq!(
            contributor_id(PLATFORM_GITHUB, 15).to_string(),
            "01000000-0f00-0000-0000-000000000000"
        );
        assert_eq!(
            contributor_id(PLATFORM_GITHUB, 2_445_413).to_string(),
            "01002550-6500-0000-0000-000000000000"
        );
    }

    #[test]
    fn platform_and_width_are_distinguished() {
        assert_ne!(contributor_id(1, 15), contributor_id(2, 15));
        assert_eq!(
            contributor_id(PLATFORM_GITLAB, u32::MAX as u64).to_string(),
            "02ffffff-ff00-0000-0000-000000000000"
        );
        let big = contributor_id(PLATFORM_GITHUB, 1 << 40);
        assert_eq!(big.to_string(), "01000001-0000-0000-0000-000000000000");
        assert_ne!(big, contributor_id(PLATFORM_GITHUB, 0));
    }
}
