//! CPU work from async code, sized to where it belongs: a small body is decoded on the
//! thread serving the request, a large one on a blocking thread so it does not hold up the
//! threads serving I/O.
//!
//! The hand-off is not free: a blocking thread is woken and the task woken back, two context
//! switches. For a single-record POST that was most of the request's cost: the webhook spent
//! more CPU switching threads than decoding, and reached 0.31 of its `/healthz` rate.

/// Work on at most this many bytes runs inline: decoding 64 KiB of JSON takes about 0.1 ms,
/// the longest a request should hold a runtime thread.
pub const INLINE_BYTES: usize = 64 * 1024;

/// Runs `work`, which reads `bytes` bytes, inline when they are few and on a blocking thread
/// otherwise; a panic in it is resumed here either way.
pub async fn sized<T: Send + 'static>(
    bytes: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    if bytes <= INLINE_BYTES {
        return work();
    }
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn small_work_stays_on_the_calling_thread_and_large_work_leaves_it() {
        let here = std::thread::current().id();
        let small = sized(INLINE_BYTES, || std::thread::current().id()).await;
        let large = sized(INLINE_BYTES + 1, || std::thread::current().id()).await;
        assert_eq!(small, here);
        assert_ne!(large, here);
    }

    #[tokio::test]
    #[should_panic(expected = "boom")]
    async fn a_panic_in_large_work_reaches_the_caller() {
        sized(INLINE_BYTES + 1, || panic!("boom")).await
    }
}
