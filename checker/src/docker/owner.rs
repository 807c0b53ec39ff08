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
pub const OWNER_LABEL: &str = "shipshape.owner";

/// The process that made something, as seen from the host it ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    host: String,
    boot: String,
    pub pid: u32,
    /// The process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
    start: u64,
}

impl Owner {
    /// This process, or `None` where `/proc` cannot say (not Linux).
    pub fn current() -> Option<&'static Owner> {
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
    pub fn label(&self) -> String {
        format!("{}/{}/{}/{}", self.host, self.boot, self.pid, self.start)
    }

    pub fn parse(label: &str) -> Option<Owner> {
        let mut parts = label.split('/');
        let owner =
            Owner { host: parts.next()?.to_string(), boot: parts.next()?.to_string(), pid: parts.next()?.parse().ok()?, start: parts.next()?.parse().ok()? };
        parts.next().is_none().then_some(owner)
    }

    /// True when `self` certainly no longer runs, as seen by `current` (on the same host).
    pub fn is_abandoned(&self, current: &Owner) -> bool {
        self.is_abandoned_in(current, Path::new("/proc"))
    }

    fn is_abandoned_in(&self, current: &Owner, proc: &Path) -> bool {
        if self.host != current.host {
            return false;
        }
        if self.boot != current.boot {
            return true;
        }
        match start_of(proc, self.pid) {
            Some(start) => start != self.start,
            None => !proc.join(self.pid.to_string()).exists(),
        }
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
