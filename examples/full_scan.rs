//! The baseline of `bench/report.sh`: a plain full scan of the metrics table — every row
//! read and decoded, and its values summed so the work cannot be skipped — with nothing of
//! the report's own work. The report reads the same rows once (in series order, through the
//! covering index), so this is the floor it is measured against.
//!
//!     cargo run --release --example full_scan -- DB_FILE
//!
//! Prints `RESULT rows=… seconds=…`.

use rusqlite::{Connection, OpenFlags};
use std::time::Instant;

fn main() {
    let db = std::env::args().nth(1).expect("usage: full_scan DB_FILE");
    let started = Instant::now();
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT id, val, time FROM metrics").unwrap();
    let mut rows = stmt.query([]).unwrap();
    let (mut n, mut ids, mut vals, mut times) = (0u64, 0i64, 0.0f64, 0i64);
    while let Some(row) = rows.next().unwrap() {
        ids = ids.wrapping_add(row.get::<_, i64>(0).unwrap());
        vals += row.get::<_, f64>(1).unwrap();
        times = times.wrapping_add(row.get::<_, i64>(2).unwrap());
        n += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("RESULT rows={n} seconds={seconds:.3} checksum={ids}/{vals:e}/{times}");
}
