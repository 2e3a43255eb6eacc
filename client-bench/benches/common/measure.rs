//! The two things measured besides wall time: the CPU time of the thread that runs the
//! client (a criterion `Measurement`), and the heap bytes that thread holds (a counting
//! global allocator, off unless asked).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};
use nix::time::{ClockId, clock_gettime};

/// CPU time the calling thread has used (user and system), from
/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
pub fn thread_cpu() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .expect("Linux has a per-thread CPU clock")
        .into()
}

/// Criterion's measurement of the benchmark thread's CPU time. Every client here runs on a
/// current-thread tokio runtime on that thread (its connection task too), and the server on
/// threads of its own, so this is the client's CPU time alone, system time (the socket
/// reads) included.
pub struct ThreadCpu;

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu().saturating_sub(start)
    }

    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_secs_f64() * 1e9
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Nanoseconds of CPU time, shown as such, and throughput per CPU-second.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical_value: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical_value < 1e3 {
            (1.0, "ns cpu")
        } else if typical_value < 1e6 {
            (1e-3, "µs cpu")
        } else if typical_value < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        for value in values {
            *value *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        typical_value: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per_iteration, units) = match *throughput {
            Throughput::Elements(events)
            | Throughput::ElementsAndBytes {
                elements: events, ..
            } => (events, ["events/cpu-s", "K events/cpu-s", "M events/cpu-s"]),
            Throughput::Bytes(bytes) | Throughput::BytesDecimal(bytes) => {
                (bytes, ["B/cpu-s", "KB/cpu-s", "MB/cpu-s"])
            }
            Throughput::Bits(bits) => (bits, ["b/cpu-s", "Kb/cpu-s", "Mb/cpu-s"]),
        };
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let per_iteration = per_iteration as f64;
        let per_second = per_iteration * 1e9 / typical_value;
        let (factor, unit) = if per_second < 1e3 {
            (1.0, units[0])
        } else if per_second < 1e6 {
            (1e-3, units[1])
        } else {
            (1e-6, units[2])
        };
        for value in values {
            *value = per_iteration * 1e9 / *value * factor;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// Whether the allocator counts at all: off, it costs one relaxed load per allocation, so
/// the throughput benchmarks run on the system allocator as it is.
static COUNTING: AtomicBool = AtomicBool::new(false);

/// Bytes allocated and not freed by the counted thread while counting was on.
static HELD: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Set on the thread that runs the clients; the server's threads are never counted.
    static COUNTED_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// The system allocator, counting the bytes the client thread holds. `allocation-counter`
/// (which ssekit-core's tests use) counts every allocation of every thread for the whole
/// process, throughput runs included, through two thread-local `RefCell`s: this one stays out
/// of the way until the memory measurement starts.
pub struct CountingAllocator;

fn note(bytes: usize, allocated: bool) {
    if COUNTING.load(Ordering::Relaxed) && COUNTED_THREAD.try_with(Cell::get).unwrap_or(false) {
        let bytes = i64::try_from(bytes).expect("an allocation's size fits in i64");
        HELD.fetch_add(if allocated { bytes } else { -bytes }, Ordering::Relaxed);
    }
}

// The workspace denies `unsafe_code`; a global allocator is an `unsafe` trait, and each of
// its methods forwards to `System` with the caller's own guarantees.
#[allow(unsafe_code)]
// SAFETY: every method hands the caller's pointer and layout to `System` unchanged, and
// returns what `System` returned, so `System`'s guarantees are this allocator's.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller guarantees `layout` has a non-zero size, as `System` needs.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note(layout.size(), true);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note(layout.size(), true);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` came from this allocator (so from `System`)
        // with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        note(layout.size(), false);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `ptr` came from this allocator (so from `System`)
        // with `layout`, and that `new_size` is non-zero and fits `layout`'s alignment.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note(layout.size(), false);
            note(new_size, true);
        }
        new
    }
}

/// Heap bytes held by the calling thread: counted from [`HeldBytes::start`] on, read with
/// [`HeldBytes::now`], until it is dropped.
pub struct HeldBytes {
    start: i64,
}

impl HeldBytes {
    /// Counts the calling thread's allocations from here.
    pub fn start() -> Self {
        COUNTED_THREAD.with(|counted| counted.set(true));
        COUNTING.store(true, Ordering::Relaxed);
        Self {
            start: HELD.load(Ordering::Relaxed),
        }
    }

    /// Bytes allocated and not freed since the start.
    pub fn now(&self) -> i64 {
        HELD.load(Ordering::Relaxed) - self.start
    }
}

impl Drop for HeldBytes {
    fn drop(&mut self) {
        COUNTING.store(false, Ordering::Relaxed);
        COUNTED_THREAD.with(|counted| counted.set(false));
    }
}
