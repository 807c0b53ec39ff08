//! Which uid and gid the container runtime gives an image's process, from its `USER` and its own
//! /etc/passwd and /etc/group, the way Docker Engine (moby's `getUser`) and then runc 1.1
//! (`setupUser`) work it out, both with runc's `libcontainer/user`:
//!
//! 1. moby looks the `USER` up (`GetExecUser`) and truncates the ids it finds to 32 bits;
//! 2. runc looks the resulting `uid:gid` up again, checks the additional groups, then calls
//!    `setgroups`, `setgid` and `setuid`.
//!
//! What must hold: every rule is the runtime's own, not a reading of what an account file means:
//! passwd lines are split at `\n` with a final `\r` dropped, trimmed of white space and never
//! longer than 64 KiB (a longer one fails the lookup); group lines are trimmed, and blank or `#`
//! lines skipped; fields split at `:`; numbers are Go's `strconv.Atoi` with the error ignored, so a
//! malformed uid is 0 and an overflowing one the largest `int`; the first matching entry wins; a
//! numeric id no entry holds must lie in 0..=2³¹−1; (uint32)-1 is no id `setgroups` or `setuid` take. Where the
//! runtime refuses to start the container, the refusal is the answer.

/// The image's account files, as captured (absent when the image has none).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Accounts<'a> {
    pub passwd: Option<&'a [u8]>,
    pub group: Option<&'a [u8]>,
}

/// What the container's process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunAs {
    pub uid: u32,
    pub gid: u32,
    /// The passwd entry the `USER` was found by, when one was.
    pub entry: Option<EntryFound>,
}

/// The passwd entry the runtime took, as the evidence shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryFound {
    /// 1-based line number in /etc/passwd.
    pub line: usize,
    pub text: String,
    /// Its uid as the runtime parsed it, before the truncation to 32 bits.
    pub uid: i64,
}

/// Why the runtime refuses to start the container, in its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A user name no passwd entry has.
    NoSuchUser(String),
    /// A group name no group entry has.
    NoSuchGroup(String),
    /// A numeric id out of 0..=2³¹−1 that no entry holds.
    OutOfRange(i64),
    /// A passwd line longer than the runtime reads.
    LineTooLong(usize),
    /// An id `setgroups` or `setuid` rejects.
    InvalidId(&'static str),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoSuchUser(name) => write!(f, "unable to find user {name}: no matching entries in passwd file"),
            Refusal::NoSuchGroup(name) => write!(f, "unable to find group {name}: no matching entries in group file"),
            Refusal::OutOfRange(id) => write!(f, "{id} is not a valid id: uids and gids must be in range 0-{MAX_ID}"),
            Refusal::LineTooLong(line) => write!(f, "line {line} of /etc/passwd is longer than the runtime reads (64 KiB)"),
            Refusal::InvalidId(which) => write!(f, "{which}(4294967295) fails: (uint32)-1 is no id"),
        }
    }
}

/// The highest id libcontainer accepts without a passwd or group entry that holds it.
const MAX_ID: i64 = (1 << 31) - 1;

/// The longest passwd line Go's `bufio.Scanner` reads.
const MAX_LINE: usize = 64 * 1024 - 1;

/// The ids the container runs with, or why it does not start.
pub(crate) fn run_as(user: &str, accounts: Accounts<'_>) -> Result<RunAs, Refusal> {
    let passwd = accounts.passwd.map(passwd_entries).transpose()?;
    let groups = accounts.group.map(group_entries);
    let (passwd, groups) = (passwd.as_deref(), groups.as_deref());
    // moby: the USER, its ids truncated to 32 bits for the runtime spec.
    let first = exec_user(user, passwd, groups)?;
    let (uid, gid) = (first.uid as u32, first.gid as u32);
    let additional: Vec<u32> = std::iter::once(gid).chain(first.sgids.iter().map(|&sgid| sgid as u32)).collect();
    // runc: the same lookup of "uid:gid", then the additional groups, setgroups and setuid.
    let second = exec_user(&format!("{uid}:{gid}"), passwd, groups)?;
    check_additional_groups(&additional, groups.unwrap_or_default())?;
    // The gid is the first of the additional groups, so setgroups meets (uint32)-1 before setgid.
    if additional.contains(&u32::MAX) {
        return Err(Refusal::InvalidId("setgroups"));
    }
    let (uid, gid) = (second.uid as u32, second.gid as u32);
    if uid == u32::MAX {
        return Err(Refusal::InvalidId("setuid"));
    }
    let entry = first.entry.and_then(|index| passwd?.get(index)).map(|e| EntryFound { line: e.line, text: lossy(e.text), uid: e.uid });
    Ok(RunAs { uid, gid, entry })
}

/// One /etc/passwd line as libcontainer parses it.
#[derive(Debug)]
struct PasswdEntry<'a> {
    line: usize,
    text: &'a [u8],
    name: &'a [u8],
    uid: i64,
    gid: i64,
}

/// One /etc/group line as libcontainer parses it.
#[derive(Debug)]
struct GroupEntry<'a> {
    name: &'a [u8],
    gid: i64,
    members: Vec<&'a [u8]>,
}

/// What one lookup (`GetExecUser`) found.
#[derive(Debug)]
struct ExecUser {
    uid: i64,
    gid: i64,
    /// The groups that list the user by name, when the `USER` names no group.
    sgids: Vec<i64>,
    /// The index of the passwd entry the user was found by.
    entry: Option<usize>,
}

/// `ParsePasswdFilter`: `bufio.Scanner` lines, trimmed, blank ones skipped; a line the scanner
/// cannot hold fails the whole read.
fn passwd_entries(passwd: &[u8]) -> Result<Vec<PasswdEntry<'_>>, Refusal> {
    let mut entries = Vec::new();
    for (index, raw) in lines(passwd).enumerate() {
        if raw.len() > MAX_LINE {
            return Err(Refusal::LineTooLong(index + 1));
        }
        let text = trim_space(raw.strip_suffix(b"\r").unwrap_or(raw));
        if text.is_empty() {
            continue;
        }
        let mut fields = text.split(|&b| b == b':');
        let name = fields.next().unwrap_or_default();
        let uid = fields.nth(1).map_or(0, atoi_ignoring_errors);
        let gid = fields.next().map_or(0, atoi_ignoring_errors);
        entries.push(PasswdEntry { line: index + 1, text, name, uid, gid });
    }
    Ok(entries)
}

/// `ParseGroupFilter`: `bufio.Reader` lines of any length, trimmed, blank and `#` ones skipped.
fn group_entries(group: &[u8]) -> Vec<GroupEntry<'_>> {
    lines(group)
        .map(trim_space)
        .filter(|text| !text.is_empty() && !text.starts_with(b"#"))
        .map(|text| {
            let mut fields = text.split(|&b| b == b':');
            let name = fields.next().unwrap_or_default();
            let gid = fields.nth(1).map_or(0, atoi_ignoring_errors);
            let members = fields.next().filter(|list| !list.is_empty()).map(|list| list.split(|&b| b == b',').collect()).unwrap_or_default();
            GroupEntry { name, gid, members }
        })
        .collect()
}

/// The lines of a file: split at `\n`, without an empty last one after a final `\n`.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    text.split(|&b| b == b'\n').filter(move |_| !text.is_empty())
}

/// `GetExecUser` with runc's defaults (uid 0, gid 0): the spec is `user[:group]`, each a name or a
/// number; without a user, the entry of uid 0.
fn exec_user(spec: &str, passwd: Option<&[PasswdEntry<'_>]>, groups: Option<&[GroupEntry<'_>]>) -> Result<ExecUser, Refusal> {
    let mut parts = spec.split(':');
    let (user_arg, group_arg) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let (uid_arg, gid_arg) = (atoi(user_arg.as_bytes()), atoi(group_arg.as_bytes()));
    let matches = |entry: &PasswdEntry<'_>| match uid_arg {
        _ if user_arg.is_empty() => entry.uid == 0,
        Ok(uid) => entry.uid == uid,
        Err(_) => entry.name == user_arg.as_bytes(),
    };
    let found = passwd.unwrap_or_default().iter().position(matches);
    let mut user = ExecUser { uid: 0, gid: 0, sgids: Vec::new(), entry: found };
    let mut matched_name: &[u8] = b"";
    if let Some(entry) = found.and_then(|index| passwd?.get(index)) {
        (user.uid, user.gid, matched_name) = (entry.uid, entry.gid, entry.name);
    } else if !user_arg.is_empty() {
        user.uid = uid_arg.map_err(|_| Refusal::NoSuchUser(user_arg.to_string()))?;
        in_range(user.uid)?;
    }
    if group_arg.is_empty() && matched_name.is_empty() {
        return Ok(user);
    }
    let groups = groups.unwrap_or_default();
    if group_arg.is_empty() {
        user.sgids = groups.iter().filter(|group| group.members.contains(&matched_name)).map(|group| group.gid).collect();
        return Ok(user);
    }
    let named = |group: &&GroupEntry<'_>| match gid_arg {
        Ok(gid) => group.gid == gid,
        Err(_) => group.name == group_arg.as_bytes(),
    };
    user.gid = match groups.iter().find(named) {
        Some(group) => group.gid,
        None => in_range(gid_arg.map_err(|_| Refusal::NoSuchGroup(group_arg.to_string()))?)?,
    };
    Ok(user)
}

/// `GetAdditionalGroups` over the gid and the supplementary gids moby hands runc: each must be a
/// group entry's (by name or number, each entry once) or a number in range.
fn check_additional_groups(additional: &[u32], groups: &[GroupEntry<'_>]) -> Result<(), Refusal> {
    let mut taken: Vec<i64> = Vec::new();
    for wanted in additional.iter().map(u32::to_string) {
        let holder = groups.iter().find(|g| (g.name == wanted.as_bytes() || g.gid.to_string() == wanted) && !taken.contains(&g.gid));
        match holder {
            Some(group) => taken.push(group.gid),
            None => taken.push(in_range(wanted.parse().expect("a formatted u32 parses"))?),
        }
    }
    Ok(())
}

fn in_range(id: i64) -> Result<i64, Refusal> {
    if (0..=MAX_ID).contains(&id) {
        Ok(id)
    } else {
        Err(Refusal::OutOfRange(id))
    }
}

/// Go's `strconv.Atoi` on a 64-bit platform: an optional sign and decimal digits. `Err` carries
/// the value Go returns with its error: 0 for bad syntax, the nearest `int` on overflow.
fn atoi(text: &[u8]) -> Result<i64, i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(0);
    }
    // Go parses the magnitude as a u64 and stops at the first digit that overflows it.
    let mut magnitude: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return Err(0);
        }
        match magnitude.checked_mul(10).and_then(|m| m.checked_add(u64::from(byte - b'0'))) {
            Some(next) => magnitude = next,
            None => return Err(if negative { i64::MIN } else { i64::MAX }),
        }
    }
    match (negative, i64::try_from(magnitude)) {
        (false, Ok(value)) => Ok(value),
        (false, Err(_)) => Err(i64::MAX),
        (true, _) if magnitude <= 1 << 63 => Ok(0i64.wrapping_sub_unsigned(magnitude)),
        (true, _) => Err(i64::MIN),
    }
}

/// How libcontainer reads a number field: `Atoi` with the error ignored.
fn atoi_ignoring_errors(text: &[u8]) -> i64 {
    atoi(text).unwrap_or_else(|value| value)
}

/// Go's `bytes.TrimSpace`: Unicode white space off both ends (invalid UTF-8 is not space).
fn trim_space(mut text: &[u8]) -> &[u8] {
    while let Some((_, len)) = first_char(text).filter(|(c, _)| c.is_whitespace()) {
        text = &text[len..];
    }
    while let Some((_, len)) = last_char(text).filter(|(c, _)| c.is_whitespace()) {
        text = &text[..text.len() - len];
    }
    text
}

fn first_char(text: &[u8]) -> Option<(char, usize)> {
    (1..=text.len().min(4)).find_map(|len| std::str::from_utf8(&text[..len]).ok().and_then(|s| s.chars().next()).map(|c| (c, len)))
}

fn last_char(text: &[u8]) -> Option<(char, usize)> {
    (1..=text.len().min(4)).find_map(|len| std::str::from_utf8(&text[text.len() - len..]).ok().and_then(|s| s.chars().next()).map(|c| (c, len)))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expectation below is what `docker run IMAGE id` printed for the same USER and files on
    // Docker Engine 26.1 with runc 1.1, or the error it stopped with.

    fn run(user: &str, passwd: &str, group: Option<&str>) -> Result<(u32, u32), Refusal> {
        run_as(user, Accounts { passwd: Some(passwd.as_bytes()), group: group.map(str::as_bytes) }).map(|run| (run.uid, run.gid))
    }

    #[test]
    fn lines_are_trimmed_and_the_first_matching_entry_wins() {
        let spaced = "  app:x:0:0::/:/sbin/nologin\napp:x:1000:1000::/:/sbin/nologin\n";
        assert_eq!(run("app", spaced, None), Ok((0, 0)));
        assert_eq!(run("app", "\tapp:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n", None), Ok((0, 0)));
        assert_eq!(run("app", "\u{a0}app:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n", None), Ok((0, 0)), "Unicode white space too");
        assert_eq!(run("app", "app:x:1000:1000::/:/bin/sh\r\n", None), Ok((1000, 1000)));
        assert_eq!(run("app", "#app:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh", None), Ok((1000, 1000)), "no comments in passwd");
        let entry = run_as("app", Accounts { passwd: Some(spaced.as_bytes()), group: None }).unwrap().entry.unwrap();
        assert_eq!((entry.line, entry.text.as_str(), entry.uid), (1, "app:x:0:0::/:/sbin/nologin", 0));
    }

    #[test]
    fn passwd_uids_are_cut_to_32_bits_and_looked_up_again() {
        assert_eq!(run("app", "app:x:4294967296:0::/:/sbin/nologin\n", None), Ok((0, 0)));
        assert_eq!(run("app", "app:x:4294968296:1000::/:/sbin/nologin\n", None), Ok((1000, 1000)));
        assert_eq!(run("app", "app:x:3000000000:1000::/:/sbin/nologin\n", None), Ok((3_000_000_000, 1000)), "an entry holds it");
        assert_eq!(run("app", "app:x:7294967296:1000::/:/sbin/nologin\n", None), Err(Refusal::OutOfRange(3_000_000_000)));
        assert_eq!(run("app", "app:x:-1:1000::/:/sbin/nologin\n", None), Err(Refusal::OutOfRange(4_294_967_295)));
        assert_eq!(run("app", "app:x:99999999999999999999:1000::/:/bin/sh\n", None), Err(Refusal::OutOfRange(4_294_967_295)));
        assert_eq!(run("app", "app:x:4294967295:1000::/:/bin/sh\n", None), Err(Refusal::InvalidId("setuid")), "an entry holds (uint32)-1");
    }

    #[test]
    fn a_uid_that_is_no_number_is_0() {
        assert_eq!(run("app", "app:x:abc:1000::/:/bin/sh\n", None), Ok((0, 1000)));
        assert_eq!(run("app", "app:x::1000::/:/bin/sh\n", None), Ok((0, 1000)));
        assert_eq!(run("app", "app:x: 1000:1000::/:/bin/sh\n", None), Ok((0, 1000)));
        assert_eq!(run("app", "app\n", None), Ok((0, 0)), "a line with a name alone");
    }

    #[test]
    fn every_spelling_of_a_numeric_user() {
        let root = "root:x:0:0:root:/root:/bin/sh\n";
        for user in ["0", "+0", "-0", "0000", "0:0", ""] {
            assert_eq!(run(user, root, None), Ok((0, 0)), "USER {user:?}");
        }
        assert_eq!(run("1000", root, None), Ok((1000, 0)), "no entry needed");
        assert_eq!(run("1000:1000", "", None), Ok((1000, 1000)));
        assert_eq!(run("4294967296", root, None), Err(Refusal::OutOfRange(4_294_967_296)));
        assert_eq!(run("4294967296", "x:x:4294967296:5::/:/bin/sh\n", None), Ok((0, 5)), "an entry holds it, then it is cut");
        assert_eq!(run("-1", root, None), Err(Refusal::OutOfRange(-1)));
        assert_eq!(run("99999999999999999999", root, None), Err(Refusal::NoSuchUser("99999999999999999999".into())), "too big for a number");
    }

    #[test]
    fn names_are_looked_up_and_missing_ones_refused() {
        assert_eq!(run("ghost", "root:x:0:0::/:/bin/sh\n", None), Err(Refusal::NoSuchUser("ghost".into())));
        assert_eq!(run_as("app", Accounts::default()), Err(Refusal::NoSuchUser("app".into())), "no passwd at all");
        assert_eq!(run_as("app:root", Accounts::default()), Err(Refusal::NoSuchUser("app".into())));
        assert_eq!(run_as("1000", Accounts::default()).map(|run| run.uid), Ok(1000));
        assert_eq!(run_as("", Accounts::default()).map(|run| run.uid), Ok(0));
    }

    #[test]
    fn groups_by_name_or_number_and_supplementary_groups() {
        let app = "app:x:1000:1000::/:/bin/sh\n";
        assert_eq!(run("app:nogroup", app, Some("root:x:0:\n")), Err(Refusal::NoSuchGroup("nogroup".into())));
        assert_eq!(run("app:grp", app, Some(" grp:x:0:\ngrp:x:5:\n")), Ok((1000, 0)), "trimmed, first wins");
        assert_eq!(run("app:#grp", app, Some("#grp:x:7:\n")), Err(Refusal::NoSuchGroup("#grp".into())), "comments are skipped");
        assert_eq!(run("1000:4294967296", app, Some("")), Err(Refusal::OutOfRange(4_294_967_296)));
        assert_eq!(run("1000:3000000000", app, Some("")), Err(Refusal::OutOfRange(3_000_000_000)));
        assert_eq!(run("app", app, Some("big:x:3000000000:app\n")), Ok((1000, 1000)), "an entry holds the big gid");
        assert_eq!(run("app", app, Some("big:x:4294967296:app\n")), Ok((1000, 1000)));
        assert_eq!(run("app", "app:x:1000:3000000000::/:/bin/sh\n", Some("")), Err(Refusal::OutOfRange(3_000_000_000)));
        assert_eq!(run("app", "app:x:1000:-1::/:/bin/sh\n", Some("x:x:4294967295:\n")), Err(Refusal::InvalidId("setgroups")));
    }

    #[test]
    fn a_passwd_line_longer_than_64_kib_fails_the_lookup_a_group_line_does_not() {
        let line = |length: usize| "a".repeat(length);
        assert_eq!(run("app", &format!("app:x:1000:1000::/:/bin/sh\n{}\n", line(65_536)), None), Err(Refusal::LineTooLong(2)));
        assert_eq!(run("app", &format!("app:x:1000:1000::/:/bin/sh\n{}\n", line(65_535)), None), Ok((1000, 1000)));
        assert_eq!(run("1000", "app:x:1000:1000::/:/bin/sh\n", Some(&format!("root:x:0:\n{}\n", line(70_000)))), Ok((1000, 1000)));
    }

    #[test]
    fn numbers_are_read_as_go_reads_them() {
        assert_eq!(atoi(b"42"), Ok(42));
        assert_eq!(atoi(b"+42"), Ok(42));
        assert_eq!(atoi(b"-42"), Ok(-42));
        assert_eq!(atoi(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(atoi(b"9223372036854775808"), Err(i64::MAX));
        assert_eq!(atoi(b"-9223372036854775809"), Err(i64::MIN));
        assert_eq!(atoi(b"99999999999999999999x"), Err(i64::MAX), "the overflow is found before the bad byte");
        for bad in [&b""[..], b"+", b"-", b"1_000", b" 1", b"0x10", b"1e3"] {
            assert_eq!(atoi(bad), Err(0), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(trim_space(b" \t\xc2\xa0a b\r\n"), b"a b");
        assert_eq!(trim_space(b"\xffa\xff"), b"\xffa\xff", "invalid UTF-8 is not space");
    }
}
