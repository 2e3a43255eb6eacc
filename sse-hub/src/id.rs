//! Event ids as the hub writes them: a topic's sequence number in decimal.

/// The sequence number a `Last-Event-ID` names, if it is one the hub could have written: ASCII
/// digits, with no sign, no leading zero (except `0` itself) and no overflow.
pub(crate) fn parse_id(text: &str) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
