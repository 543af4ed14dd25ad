//! Small, dependency-free encoders the core needs: percent-encoding of path
//! segments and query values, and base64 for credentials and Cloud IDs.
//!
//! Out of scope: general URL parsing (see [`crate::transport::NodeUrl`]).

use std::fmt::Write as _;

/// Percent-encodes one path segment. Unreserved characters (RFC 3986) and
/// `,` and `*` (multi-target separators and wildcards) stay as they are;
/// everything else, including `/`, `%`, `+` and spaces, is encoded, so any
/// id round-trips.
pub fn encode_path_segment(segment: &str) -> String {
    encode(segment, |b| is_unreserved(b) || b == b',' || b == b'*')
}

/// Percent-encodes a query-string name or value (`application/x-www-form-urlencoded`
/// rules without `+` for spaces: `,` and `*` stay readable).
pub fn encode_query_component(value: &str) -> String {
    encode(value, |b| is_unreserved(b) || b == b',' || b == b'*')
}

/// Decodes `%XX` escapes. Invalid escapes are kept verbatim; invalid UTF-8 is
/// replaced, so this never fails.
pub fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(input: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

const BASE64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64_ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64, padded or not. `None` on any invalid
/// character.
pub fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let input = input.trim_end_matches('=');
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in input.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xFF) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_keep_commas_and_wildcards_only() {
        assert_eq!(encode_path_segment("a,b*"), "a,b*");
        assert_eq!(encode_path_segment("a/b%c+d e"), "a%2Fb%25c%2Bd%20e");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
        assert_eq!(encode_path_segment(".."), "..");
    }

    #[test]
    fn percent_decoding_round_trips() {
        for s in ["a/b%c+d e", "日本語", "100%", "%zz", "a%2"] {
            assert_eq!(percent_decode(&encode_path_segment(s)), s);
        }
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
    }

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).unwrap(), s.as_bytes());
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert!(base64_decode("a$b").is_none());
    }
}
