//! Code 128 for tracking numbers, encoded by the `barcoders` crate.

use barcoders::sym::code128::Code128;

/// The modules of `data` as a Code 128 symbol (1 a bar, 0 a space, quiet
/// zones not included), start, checksum and stop patterns included; `None`
/// when `data` is empty or has a character outside printable ASCII, which
/// Code 128 cannot carry.
///
/// Digits only, an even number of them: code set C, two digits a symbol
/// (half as wide, so long numeric tracking numbers still scan). Anything
/// else: code set B.
pub fn code128(data: &str) -> Option<Vec<u8>> {
    if data.is_empty() || !data.chars().all(|c| (' '..='~').contains(&c)) {
        return None;
    }
    let set = if data.len().is_multiple_of(2) && data.chars().all(|c| c.is_ascii_digit()) {
        'Ć'
    } else {
        'Ɓ'
    };
    Code128::new(format!("{set}{data}"))
        .ok()
        .map(|symbol| symbol.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_b_and_c_and_refusals() {
        // Start B is 11010010000, start C 11010011100; every symbol is 11
        // modules, the stop pattern 13.
        let b = code128("1Z999AA10123456784").unwrap_or_default();
        assert!(b.starts_with(&[1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]));
        assert_eq!(b.len(), 11 * (1 + 18 + 1) + 13);
        let c = code128("940011189922").unwrap_or_default();
        assert!(c.starts_with(&[1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0]));
        assert_eq!(c.len(), 11 * (1 + 6 + 1) + 13);
        assert_eq!(code128(""), None);
        assert_eq!(code128("ÅB123"), None);
    }
}
