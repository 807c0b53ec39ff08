//! `shipshape explain [ID]`: a check's documentation, the same text the book includes.
use crate::checks;
use crate::error::{Error, Result, EXIT_PASSED};

pub(super) fn run(id: Option<&str>) -> Result<u8> {
    let Some(id) = id else {
        for check in checks::registry() {
            let meta = check.meta();
            println!("{:20} {}", meta.id, meta.summary);
        }
        return Ok(EXIT_PASSED);
    };
    let check = checks::find(id).ok_or_else(|| {
        let known: Vec<&str> = checks::registry().iter().map(|c| c.meta().id).collect();
        Error::new(format!("there is no check `{id}`")).action(format!("use one of: {}", known.join(", ")))
    })?;
    print!("{}", check.meta().doc);
    Ok(EXIT_PASSED)
}
