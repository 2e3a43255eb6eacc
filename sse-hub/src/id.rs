//! Event ids as the hub writes them: a topic's sequence number in decimal, its first one from
//! the clock. A backend on a broker numbers its topics the same way with these.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::MAX_FIRST_ID;

/// The sequence number a `Last-Event-ID` names, if it is one the hub could have written: ASCII
/// digits, with no sign, no leading zero (except `0` itself) and no overflow.
///
/// # Example
///
/// ```
/// use ssekit_hub::id::parse_id;
///
/// assert_eq!(parse_id("1887436800000000000"), Some(1_887_436_800_000_000_000));
/// assert_eq!(parse_id("+7"), None);
/// assert_eq!(parse_id("007"), None);
/// ```
pub fn parse_id(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    digits.iter().try_fold(0_u64, |id, &digit| {
        if !digit.is_ascii_digit() {
            return None;
        }
        id.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// How many ids a topic's clock-based first id leaves for each millisecond: a topic that
/// publishes fewer than 2^20 (about a million) events per millisecond of its life on average,
/// which is every topic, never gives an id that a later process's topic of the same name
/// starts below.
const IDS_PER_MILLISECOND: u64 = 1 << 20;

/// The first id of a topic created at `now`: milliseconds since 1970 times 2^20 (at most
/// [`MAX_FIRST_ID`], which the clock reaches in the 23rd century). 1 on a clock set before
/// 1970.
///
/// # Example
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use ssekit_hub::id::clock_first_id;
///
/// let now = UNIX_EPOCH + Duration::from_millis(3);
/// assert_eq!(clock_first_id(now), 3 << 20);
/// ```
pub fn clock_first_id(now: SystemTime) -> u64 {
    let millis = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    u64::try_from(millis)
        .unwrap_or(u64::MAX)
        .saturating_mul(IDS_PER_MILLISECOND)
        .clamp(1, MAX_FIRST_ID)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn clock_ids_grow_with_the_clock_and_stay_in_range() {
        let now = SystemTime::now();
        let later = now + Duration::from_millis(1);
        assert!(clock_first_id(later) >= clock_first_id(now) + IDS_PER_MILLISECOND);
        assert_eq!(clock_first_id(UNIX_EPOCH), 1);
        assert_eq!(clock_first_id(UNIX_EPOCH - Duration::from_secs(1)), 1);
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(clock_first_id(far), MAX_FIRST_ID);
        // Today's ids fit in 61 bits, with room for 2^63 events after them.
        assert!(clock_first_id(now) < 1 << 61);
    }

    #[test]
    fn decimal_ids_parse() {
        assert_eq!(parse_id("0"), Some(0));
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn what_the_hub_never_writes_does_not_parse() {
        for text in [
            "",
            "+5",
            "-1",
            "007",
            " 7",
            "7 ",
            "1e3",
            "x",
            "٣",
            "18446744073709551616",
        ] {
            assert_eq!(parse_id(text), None, "{text:?}");
        }
    }
}
