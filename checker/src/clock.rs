//! Today's date, the one clock every dated judgement reads: the ignore file's and VEX statements'
//! expiry, the support windows of base images (`supported-base`, `doctor`, `recommend`), and the
//! book's `{{#shipshape-date +N}}` examples.
//!
//! What must hold: the date is UTC's; `SHIPSHAPE_TODAY=YYYY-MM-DD` replaces it, for tests only
//! (so a test can stand before or after an end of life), and a value that is not a date is
//! ignored rather than trusted.
use chrono::NaiveDate;

/// The test-only variable that sets today's date.
const TODAY_VARIABLE: &str = "SHIPSHAPE_TODAY";

/// Today in UTC, from the system clock, unless `SHIPSHAPE_TODAY` names a date.
pub fn today() -> NaiveDate {
    let injected = std::env::var(TODAY_VARIABLE).ok().and_then(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok());
    injected.unwrap_or_else(|| chrono::Utc::now().date_naive())
}
