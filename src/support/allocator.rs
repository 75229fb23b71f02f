//! glibc's allocator, tuned for a process whose memory must stay flat: the crate's only
//! unsafe code, two libc calls, each allowed where it stands with its reason.

/// Limits glibc to two malloc arenas. glibc gives each thread that allocates its own arena,
/// and freed memory stays in the arena it came from, so a long-running consumer's memory
/// would creep up with its input. Two arenas keep it flat (measured with bench/memory.sh) at
/// no cost on two cores. Call it first thing in `main`, before any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(
    unsafe_code,
    reason = "one libc call that only changes allocator tuning, made before any other thread exists"
)]
pub fn limit_arenas() {
    // SAFETY: mallopt only changes allocator tuning, and no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Hands the memory freed so far back to the system. `run` calls it between the ingest and
/// the report: the report's allocations otherwise land on top of what the ingest freed but
/// glibc kept, and `run`'s peak on 1 M records went from a median of 59 MB (3 runs in 10
/// above 64 MB) to 54 MB (none above 64.1 MB), at no measurable cost in time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(
    unsafe_code,
    reason = "malloc_trim takes glibc's own locks; it is safe to call from any thread at any time"
)]
pub fn give_back_freed() {
    // SAFETY: malloc_trim only releases free memory, under the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Elsewhere the system allocator is left as it is.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}

/// Elsewhere the system allocator is left as it is.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() {}
