//! `shipshape explain [ID]`: a check's documentation, the same text the book includes.
use crate::checks::CheckId;
use crate::error::{Error, Result, EXIT_PASSED};

pub(super) fn run(id: Option<&str>) -> Result<u8> {
    let Some(id) = id else {
        for id in CheckId::ALL {
            let meta = id.meta();
            println!("{:20} {}", meta.id, meta.summary);
        }
        return Ok(EXIT_PASSED);
    };
    let check: CheckId = id.parse().map_err(|_| {
        let known: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
        Error::new(format!("there is no check `{id}`")).action(format!("use one of: {}", known.join(", ")))
    })?;
    print!("{}", check.meta().doc);
    Ok(EXIT_PASSED)
}
