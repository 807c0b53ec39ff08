//! Who made a labelled container or image — host, boot and process — so that a later run can tell
//! what a killed run abandoned (SIGKILL, a power cut, a closed laptop lid mid-build) from what a
//! live run is still using.
//!
//! What must hold: a run is called abandoned only when that is certain — made on this host, and
//! either in an earlier boot or by a process that no longer exists (pid *and* start time, so a
//! reused pid does not count as alive). Anything else (another host sharing the daemon, a system
//! without `/proc`) is left alone.
use std::path::Path;
use std::sync::OnceLock;

/// The label holding [`Owner::label`].
pub(crate) const OWNER_LABEL: &str = "shipshape.owner";

/// The process that made something, as seen from the host it ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    host: String,
    boot: String,
    pub pid: u32,
    /// The process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
    start: u64,
}

impl Owner {
    /// This process, or `None` where `/proc` cannot say (not Linux).
    pub(crate) fn current() -> Option<&'static Owner> {
        static CURRENT: OnceLock<Option<Owner>> = OnceLock::new();
        CURRENT
            .get_or_init(|| {
                let read = |path: &str| std::fs::read_to_string(path).ok().map(|s| s.trim().to_string());
                let pid = std::process::id();
                let start = start_of(Path::new("/proc"), pid)?;
                Some(Owner { host: read("/proc/sys/kernel/hostname")?, boot: read("/proc/sys/kernel/random/boot_id")?, pid, start })
            })
            .as_ref()
    }

    /// `HOST/BOOT/PID/START`: none of the parts can hold a `/`.
    pub(crate) fn label(&self) -> String {
        format!("{}/{}/{}/{}", self.host, self.boot, self.pid, self.start)
    }

    pub(crate) fn parse(label: &str) -> Option<Owner> {
        let mut parts = label.split('/');
        let owner =
            Owner { host: parts.next()?.to_string(), boot: parts.next()?.to_string(), pid: parts.next()?.parse().ok()?, start: parts.next()?.parse().ok()? };
        parts.next().is_none().then_some(owner)
    }

    /// The repository an image built by this owner is tagged under (BuildKit builds carry no
    /// per-run label, so that an unchanged step hits the cache): `shipshape.test/run/HOST/BOOT/PID.START`,
    /// the host spelled as a reference allows (lower case, other characters as `-`).
    pub(crate) fn repository(&self) -> String {
        format!("{RUN_REPOSITORY}/{}/{}/{}.{}", reference_safe(&self.host), reference_safe(&self.boot), self.pid, self.start)
    }

    /// The owner and run of a tag made by [`Owner::repository`] (`REPOSITORY:RUN`).
    pub(crate) fn parse_tag(tag: &str) -> Option<(Owner, String)> {
        let (repository, run) = tag.strip_prefix(RUN_REPOSITORY)?.strip_prefix('/')?.rsplit_once(':')?;
        let (path, process) = repository.rsplit_once('/')?;
        let (pid, start) = process.split_once('.')?;
        Owner::parse(&format!("{path}/{pid}/{start}")).map(|owner| (owner, run.to_string()))
    }

    /// True when `self` certainly no longer runs, as seen by `current` (on the same host).
    pub(crate) fn is_abandoned(&self, current: &Owner) -> bool {
        self.is_abandoned_in(current, Path::new("/proc"))
    }

    fn is_abandoned_in(&self, current: &Owner, proc: &Path) -> bool {
        if reference_safe(&self.host) != reference_safe(&current.host) {
            return false;
        }
        if reference_safe(&self.boot) != reference_safe(&current.boot) {
            return true;
        }
        match start_of(proc, self.pid) {
            Some(start) => start != self.start,
            None => !proc.join(self.pid.to_string()).exists(),
        }
    }
}

/// Where the images of BuildKit builds are tagged, one repository per owner.
pub(crate) const RUN_REPOSITORY: &str = "shipshape.test/run";

/// A path component of an image reference: lower-case letters and digits, `-` for anything else.
fn reference_safe(text: &str) -> String {
    let spelled: String = text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let trimmed = spelled.trim_matches('-');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    }
}

/// When process `pid` started, or `None` when its `stat` cannot be read.
fn start_of(proc: &Path, pid: u32) -> Option<u64> {
    start_time(&std::fs::read_to_string(proc.join(format!("{pid}/stat"))).ok()?)
}

/// Field 22 of `/proc/PID/stat`. The command name (field 2) sits in parentheses and may itself
/// hold spaces and parentheses, so fields are counted after the last `)`.
fn start_time(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(22 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(host: &str, boot: &str, pid: u32, start: u64) -> Owner {
        Owner { host: host.into(), boot: boot.into(), pid, start }
    }

    #[test]
    fn the_label_round_trips_and_rejects_other_shapes() {
        let me = owner("lab-07", "5f0c3b7e-1d2a-4c55-9e21-0a1b2c3d4e5f", 4242, 987_654);
        assert_eq!(Owner::parse(&me.label()), Some(me));
        for bad in ["", "host/boot/12", "host/boot/x/1", "host/boot/1/2/3"] {
            assert_eq!(Owner::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_tag_round_trips_with_the_host_spelled_for_a_reference() {
        let me = owner("Lab_07.local", "5f0c3b7e-1d2a-4c55-9e21-0a1b2c3d4e5f", 4242, 987_654);
        let tag = format!("{}:4242-17-0", me.repository());
        assert_eq!(tag, "shipshape.test/run/lab-07-local/5f0c3b7e-1d2a-4c55-9e21-0a1b2c3d4e5f/4242.987654:4242-17-0");
        let (parsed, run) = Owner::parse_tag(&tag).unwrap();
        assert_eq!((parsed.pid, run.as_str()), (4242, "4242-17-0"));
        let proc = std::env::temp_dir().join(format!("shipshape-owner-tag-{}", std::process::id()));
        std::fs::create_dir_all(proc.join("4242")).unwrap();
        std::fs::write(proc.join("4242/stat"), "4242 (shipshape) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0").unwrap();
        assert!(!parsed.is_abandoned_in(&me, &proc), "the same host and process, the host spelled either way");
        std::fs::remove_dir_all(&proc).unwrap();
        assert_eq!(Owner::parse_tag("shipshape.test/node:bookworm"), None);
        assert_eq!(Owner::parse_tag("shipshape.test/run/h/b/12:r"), None);
    }

    #[test]
    fn the_start_time_is_read_past_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 987654 2097152 100";
        assert_eq!(start_time(stat), Some(987_654));
        assert_eq!(start_time("4242 (cut short) S 1"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_or_another_boot_is_not() {
        let Some(me) = Owner::current() else { return };
        assert!(!me.is_abandoned(me));
        let reused_pid = Owner { start: me.start + 1, ..me.clone() };
        assert!(reused_pid.is_abandoned(me));
        let earlier_boot = Owner { boot: "an-earlier-boot".into(), ..me.clone() };
        assert!(earlier_boot.is_abandoned(me));
    }

    #[test]
    fn a_pid_that_no_longer_exists_is_abandoned_but_another_host_is_never_judged() {
        let proc = std::env::temp_dir().join(format!("shipshape-owner-proc-{}", std::process::id()));
        std::fs::create_dir_all(&proc).unwrap();
        let current = owner("lab-07", "b1", 1, 1);
        assert!(owner("lab-07", "b1", 31337, 5).is_abandoned_in(&current, &proc));
        assert!(!owner("lab-08", "b0", 31337, 5).is_abandoned_in(&current, &proc));
        std::fs::remove_dir_all(&proc).unwrap();
    }
}
