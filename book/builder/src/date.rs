//! `{{#shipshape-date +N}}`: the day N days after the day the book is built, as `YYYY-MM-DD`, so
//! that an example's expiry or review date is never already past when the book is read.
//!
//! Must hold: the argument is `+N`, N a whole number of days up to ten years; anything else fails
//! the directive, named. The day counted from is the checker's own ([`shipshape::clock::today`]), the
//! same day its ignore files are judged on.

use anyhow::{bail, Result};
use chrono::{Days, NaiveDate};

/// The longest offset accepted: an example dated further out teaches nothing about expiry.
const MAX_DAYS: u64 = 3653;

/// The date `args` (`+N`) names, counted from `today`.
pub(crate) fn render(args: &str, today: NaiveDate) -> Result<String> {
    let Some(days) = args.trim().strip_prefix('+').and_then(|n| n.parse::<u64>().ok()).filter(|&n| n <= MAX_DAYS) else {
        bail!("it takes `+N`, N days from the day the book is built (at most {MAX_DAYS}), and got `{}`", args.trim());
    };
    let date = today.checked_add_days(Days::new(days)).expect("ten years from a real date is a date");
    Ok(date.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_from_the_build_day() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(render(" +90 ", today).unwrap(), "2027-03-06");
        assert_eq!(render("+0", today).unwrap(), "2026-12-06");
        for bad in ["90", "-3", "+x", "", "+3654"] {
            assert!(render(bad, today).unwrap_err().to_string().contains("it takes `+N`"), "{bad:?}");
        }
    }
}
