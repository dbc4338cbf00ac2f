//! Deterministic contributor ids, byte-compatible with Augur's `GithubUUID`.
//!
//! Layout (16 bytes, shown as a UUID): byte 0 is the platform id (1 GitHub, 2 GitLab), bytes
//! 1–4 the forge user id big-endian, the rest zero. Ids below 2^32 (every GitHub and GitLab id
//! today) keep Augur's exact bytes, so contributors imported from Augur keep their ids.
//!
//! User ids that do not fit in 32 bits use bytes 1–8 (big-endian u64), as upstream Aveloxis
//! extended the layout, **plus a marker in byte 15**. Without the marker the extension collides:
//! `(p, k * 2^32)` would give the same bytes as `(p, k)`. Byte 15 is always zero in Augur's
//! layout, so marked ids can never equal a 32-bit one.

use uuid::Uuid;

/// Platform ids as seeded in `aveloxis_data.platforms`.
pub const PLATFORM_GITHUB: u8 = 1;
pub const PLATFORM_GITLAB: u8 = 2;

/// Byte 15 of ids built from user ids of 2^32 and above.
const WIDE_MARKER: u8 = 0x01;

/// The contributor id of forge user `user_id` on `platform`.
pub fn contributor_id(platform: u8, user_id: u64) -> Uuid {
    let mut b = [0u8; 16];
    b[0] = platform;
    match u32::try_from(user_id) {
        Ok(small) => b[1..5].copy_from_slice(&small.to_be_bytes()),
        Err(_) => {
            b[1..9].copy_from_slice(&user_id.to_be_bytes());
            b[15] = WIDE_MARKER;
        }
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
        assert_eq!(big.to_string(), "01000001-0000-0000-0000-000000000001");
        // The wide layout never collides with a 32-bit id.
        assert_ne!(
            contributor_id(PLATFORM_GITHUB, 1 << 32),
            contributor_id(PLATFORM_GITHUB, 1)
        );
        assert_ne!(big, contributor_id(PLATFORM_GITHUB, 1 << 8));
    }
}
