//! Byte sizes as people write them in specs ("150 MB", "2GiB") and as reports print them, and
//! counts with their noun ("1 image", "2 images").
use serde::{Deserialize, Deserializer};

/// Parses "150MB", "150 MB", "1.5 GiB", "2048" (bytes). Decimal units are powers of 1000.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("`{text}` is not a size like \"150 MB\""))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` in `{text}` (use B, kB, MB, GB, KiB, MiB or GiB)")),
    };
    Ok((number * factor as f64).round() as u64)
}

/// Formats bytes as people read them: decimal units with one decimal, dropped when it is 0
/// (`999 B`, `1.2 MB`, `150 MB`).
pub(crate) fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit]).replace(".0 ", " ")
    }
}

/// Deserializes a size a spec writes with its unit ("150 MB"). A bare number is refused, as a
/// number or as text: `max = 20` would silently mean 20 bytes.
pub(crate) fn deserialize_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    let text = match Raw::deserialize(deserializer)? {
        Raw::Number(number) => number.to_string(),
        Raw::Text(text) => text,
    };
    if text.trim().chars().all(|c| c.is_ascii_digit() || c == '.') {
        let text = text.trim();
        return Err(serde::de::Error::custom(format!("the size {text} has no unit: write it as \"{text} MB\" (or B, kB, GB, KiB, MiB, GiB)")));
    }
    parse_size(&text).map_err(serde::de::Error::custom)
}

/// `1 image`, `2 images`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_units_people_write() {
        assert_eq!(parse_size("150 MB"), Ok(150_000_000));
        assert_eq!(parse_size("150MB"), Ok(150_000_000));
        assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("2048"), Ok(2048));
        assert!(parse_size("big").is_err());
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn formats_like_docker_images() {
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(1_220_598), "1.2 MB");
        assert_eq!(format_size(150_000_000), "150 MB");
        assert_eq!(format_size(659_969_000), "660 MB");
    }
}
