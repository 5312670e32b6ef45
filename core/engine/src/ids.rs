//! Identifiers dlt puts into names and rows: `load_id` (Python `str(time.time())`), `file_id`
//! (10 lowercase hex chars), and the root `_dlt_id` (10 random bytes, base64 without padding).

use base64::Engine;
use rand::RngCore;

/// A load id for the given moment: the shortest decimal that round-trips the float of epoch
/// seconds, as Python's `repr(float)` prints it (`1795310773.1276467`, `1795310773.0`).
pub fn load_id_from_secs(epoch_secs: f64) -> String {
    let s = format!("{epoch_secs}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// A new load id for now, strictly greater than `previous` if given.
pub fn new_load_id(previous: Option<&str>) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let floor = previous.and_then(|p| p.parse::<f64>().ok()).unwrap_or(0.0);
    let secs = if now > floor { now } else { floor + 1e-6 };
    load_id_from_secs(secs)
}

/// The epoch seconds of a load id (for ordering and timestamps).
pub fn load_id_secs(load_id: &str) -> Option<f64> {
    load_id.parse().ok()
}

/// A new file id: 5 random bytes as lowercase hex.
pub fn new_file_id() -> String {
    let mut bytes = [0u8; 5];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new root `_dlt_id`: 10 random bytes, standard base64 without `=` (14 chars).
pub fn new_row_id() -> String {
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_ids_look_like_python_floats() {
        assert_eq!(load_id_from_secs(1795310773.1276467), "1795310773.1276467");
        assert_eq!(load_id_from_secs(1795310773.77449), "1795310773.77449");
        assert_eq!(load_id_from_secs(1795310773.0), "1795310773.0");
    }

    #[test]
    fn load_ids_increase() {
        let a = new_load_id(None);
        let b = new_load_id(Some(&a));
        assert!(b.parse::<f64>().unwrap() > a.parse::<f64>().unwrap());
    }

    #[test]
    fn id_shapes() {
        let f = new_file_id();
        assert_eq!(f.len(), 10);
        assert!(
            f.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let r = new_row_id();
        assert_eq!(r.len(), 14);
        assert!(!r.contains('='));
    }
}

/// The deterministic `_dlt_id` of a nested row: base64(shake_128("{parent}_{table}_{idx}")[..10])
/// without padding (dlt's `get_nested_row_hash`).
pub fn nested_row_id(parent_row_id: &str, table: &str, list_idx: usize) -> String {
    use sha3::Shake128;
    use sha3::digest::{ExtendableOutput, Update, XofReader};
    let mut hasher = Shake128::default();
    hasher.update(format!("{parent_row_id}_{table}_{list_idx}").as_bytes());
    let mut digest = [0u8; 10];
    hasher.finalize_xof().read(&mut digest);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
}

#[cfg(test)]
mod nested_id_tests {
    #[test]
    fn nested_row_id_matches_dlt() {
        // spec §5.2: b8BhIcqNW+EUKQ_users__tags_0 → P97SxbxGJfhPDA
        assert_eq!(
            super::nested_row_id("b8BhIcqNW+EUKQ", "users__tags", 0),
            "P97SxbxGJfhPDA"
        );
    }
}
