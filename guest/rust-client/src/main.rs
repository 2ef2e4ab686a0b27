//! BPF_MAP_FREEZE from a userspace client written against libbpf-rs.
//!
//! Creates an array map, writes a value, freezes the map, then checks that
//! every syscall-side write fails with exactly EPERM while the value stays
//! readable and unchanged. Prints TAP on stdout and exits non-zero if any
//! test fails. The tests run in order, each on the state the previous ones
//! left: a test whose prerequisite failed fails too, saying why.

use std::process::ExitCode;

use libbpf_rs::libbpf_sys;
use libbpf_rs::{Error, ErrorKind, MapCore, MapFlags, MapHandle, MapType};

const EPERM: i32 = 1;
const EINVAL: i32 = 22;

const KEY: u32 = 0;
const VALUE: u64 = 42;
const NEW_VALUE: u64 = 43;

const TESTS: &[&str] = &[
    "create_update_lookup",
    "array_delete_before_freeze_is_einval",
    "freeze",
    "update_after_freeze_is_eperm",
    "value_unchanged_after_freeze",
    "second_freeze_is_eperm",
    "delete_after_freeze_is_eperm",
];

/// The errno an error carries, when it comes from a failed syscall.
///
/// libbpf-rs turns a negative return of libbpf into an `io::Error` made
/// with `from_raw_os_error()`, but keeps it private; only its `kind()`
/// (PermissionDenied covers both EPERM and EACCES) and its text are public.
/// The text of an OS error ends in "(os error N)".
fn errno(err: &Error) -> Option<i32> {
    let text = format!("{err:#}");
    let start = text.rfind("(os error ")? + "(os error ".len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Ok if `res` is an error with exactly `want` as errno (and the matching
/// kind); otherwise what was seen instead.
fn expect_errno<T: std::fmt::Debug>(
    res: Result<T, Error>,
    want: i32,
    want_kind: ErrorKind,
) -> Result<(), String> {
    match res {
        Ok(v) => Err(format!("succeeded ({v:?}), expected errno {want}")),
        Err(e) => {
            let got = errno(&e);
            if got == Some(want) && e.kind() == want_kind {
                Ok(())
            } else {
                Err(format!(
                    "expected errno {want} ({want_kind:?}), got errno {got:?} ({:?}): {e:#}",
                    e.kind()
                ))
            }
        }
    }
}

fn lookup_u64(map: &MapHandle) -> Result<u64, String> {
    match map.lookup(&KEY.to_ne_bytes(), MapFlags::ANY) {
        Ok(Some(bytes)) => {
            let arr: [u8; 8] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| format!("lookup returned {} bytes, expected 8", bytes.len()))?;
            Ok(u64::from_ne_bytes(arr))
        }
        Ok(None) => Err(format!("lookup of key {KEY}: no such element")),
        Err(e) => Err(format!("lookup of key {KEY} failed: {e:#}")),
    }
}

struct Tap {
    next: usize,
    failed: usize,
}

impl Tap {
    fn report(&mut self, name: &str, res: Result<(), String>) -> bool {
        assert_eq!(TESTS[self.next - 1], name, "TESTS lists the tests in order");
        let n = self.next;
        self.next += 1;
        match res {
            Ok(()) => {
                println!("ok {n} {name}");
                true
            }
            Err(why) => {
                self.failed += 1;
                println!("not ok {n} {name}");
                for line in why.lines() {
                    println!("# {line}");
                }
                false
            }
        }
    }
}

fn main() -> ExitCode {
    println!("TAP version 13");
    println!("1..{}", TESTS.len());
    let mut tap = Tap { next: 1, failed: 0 };

    let opts = libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_map_create_opts>() as libbpf_sys::size_t,
        ..Default::default()
    };

    // 1: a fresh array map holds what is written to it.
    let created = MapHandle::create(MapType::Array, Some("rs_freeze"), 4, 8, 1, &opts);
    let map = match created {
        Ok(map) => {
            let res = map
                .update(&KEY.to_ne_bytes(), &VALUE.to_ne_bytes(), MapFlags::ANY)
                .map_err(|e| format!("update of key {KEY} = {VALUE} failed: {e:#}"))
                .and_then(|()| lookup_u64(&map))
                .and_then(|v| match v {
                    VALUE => Ok(()),
                    v => Err(format!("read back {v}, wrote {VALUE}")),
                });
            let ok = tap.report("create_update_lookup", res);
            ok.then_some(map)
        }
        Err(e) => {
            tap.report(
                "create_update_lookup",
                Err(format!("creating the array map failed: {e:#}")),
            );
            None
        }
    };
    let Some(map) = map else {
        for name in &TESTS[1..] {
            tap.report(name, Err("no map: create_update_lookup failed".into()));
        }
        return ExitCode::FAILURE;
    };

    // 2: the control for 7. An array's elements cannot be deleted: before
    // the freeze, delete fails with EINVAL from the array's own ops, so the
    // EPERM after it can only come from the frozen check in the syscall.
    tap.report(
        "array_delete_before_freeze_is_einval",
        expect_errno(
            map.delete(&KEY.to_ne_bytes()),
            EINVAL,
            ErrorKind::InvalidInput,
        ),
    );

    // 3: freezing a writable map succeeds.
    let frozen = tap.report(
        "freeze",
        map.freeze().map_err(|e| format!("freeze failed: {e:#}")),
    );
    let after = |res: Result<(), String>| {
        if frozen {
            res
        } else {
            Err("the map is not frozen: freeze failed".into())
        }
    };

    // 4: a syscall write to a frozen map fails with EPERM.
    let upd = map.update(&KEY.to_ne_bytes(), &NEW_VALUE.to_ne_bytes(), MapFlags::ANY);
    tap.report(
        "update_after_freeze_is_eperm",
        after(expect_errno(upd, EPERM, ErrorKind::PermissionDenied)),
    );

    // 5: reads still work, and see the value from before the freeze.
    let res = lookup_u64(&map).and_then(|v| match v {
        VALUE => Ok(()),
        v => Err(format!(
            "read {v}, expected {VALUE} (written before the freeze)"
        )),
    });
    tap.report("value_unchanged_after_freeze", after(res));

    // 6: a frozen map has no write permission left: freezing it again is
    // EPERM.
    tap.report(
        "second_freeze_is_eperm",
        after(expect_errno(
            map.freeze(),
            EPERM,
            ErrorKind::PermissionDenied,
        )),
    );

    // 7: delete is a write: EPERM on a frozen map, checked before the
    // array's EINVAL (see 2).
    tap.report(
        "delete_after_freeze_is_eperm",
        after(expect_errno(
            map.delete(&KEY.to_ne_bytes()),
            EPERM,
            ErrorKind::PermissionDenied,
        )),
    );

    if tap.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_of_os_errors() {
        assert_eq!(errno(&Error::from_raw_os_error(EPERM)), Some(EPERM));
        assert_eq!(errno(&Error::from_raw_os_error(EINVAL)), Some(EINVAL));
        assert_eq!(errno(&Error::from_raw_os_error(13)), Some(13));
        let other = Error::from(std::io::Error::other("no errno here"));
        assert_eq!(errno(&other), None);
    }

    #[test]
    fn expect_errno_is_exact() {
        let eperm = || Err::<(), _>(Error::from_raw_os_error(EPERM));
        assert_eq!(
            expect_errno(eperm(), EPERM, ErrorKind::PermissionDenied),
            Ok(())
        );
        // EACCES has the same kind as EPERM, but is not EPERM.
        let eacces = Err::<(), _>(Error::from_raw_os_error(13));
        let why = expect_errno(eacces, EPERM, ErrorKind::PermissionDenied).unwrap_err();
        assert!(why.contains("got errno Some(13)"), "{why}");
        let why = expect_errno(Ok(7), EPERM, ErrorKind::PermissionDenied).unwrap_err();
        assert!(why.starts_with("succeeded (7)"), "{why}");
    }
}
